/**
 * Fuzzing the ISO 8583 codec and CUP framing: random bytes, and the §9 frames and the sale fixture mutated
 * (bit flips, byte changes, cuts, insertions, deletions, bitmap bits). Every input must give either a valid
 * message whose fields all read (and re-pack to the same values) or a typed error (E_8583_*), in bounded time.
 * Random field values for packing likewise. Seeded, so a failure replays; FUZZ_ITER overrides the count.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Iso8583Message, Iso8583Packer, describe, type CompiledSpec, type FieldValues } from "../../firmware/core/iso8583.ts";
import { ISO8583_1987_ASCII } from "../../firmware/core/iso8583-ascii87.ts";
import { CUP_SPEC } from "../../firmware/cup/fields.ts";
import { splitFrame } from "../../firmware/cup/frame.ts";
import { hexToBytes } from "../../firmware/core/bytes.ts";
import { SALE_FIELDS } from "../vectors/sale.ts";

import { iterations, recordFuzzRows, type FuzzRow } from "./kit.ts";

const ITER = Number(process.env.FUZZ_ITER ?? iterations(200_000));
const rows: FuzzRow[] = [];

let seed = 0x2545f491;
function rnd(): number {
  // xorshift32
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const ri = (n: number) => Math.floor(rnd() * n);

const hex = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const SEEDS_CUP = [
  hex("003C 6000030000 603100310001 0800 0020000000C00012 000001 3130303030303031 383938313030303132333435363738 0011 000000010030 0003 303031"),
  hex(
    "0079 6000000003 603100310001 0810 003800010AC00014 000001 093015 1122 08 48020000 303933303135303030303031 3030 3130303030303031 383938313030303132333435363738 0011 000000010030 0040 CB4AB541CD5AD4FC256A882726936A5A 08D7B4FB DA64B6170F346167 0000000000000000 FC11AEF3",
  ),
  hex(
    "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638",
  ),
];
{
  const p = new Iso8583Packer(CUP_SPEC);
  const out = new Uint8Array(1024);
  const end = p.pack("0200", SALE_FIELDS, out, 13);
  const len = end - 2;
  out[0] = len >> 8;
  out[1] = len & 255;
  out.set(hex("6000030000603100310001"), 2);
  SEEDS_CUP.push(out.slice(0, end));
}
const SEEDS_ASCII = [
  // Uint8Array copies: Buffer#slice would share memory and the mutations would pile up on the seed.
  Buffer.from("0200" + "7220000020C09201" + "164761739001010119" + "000000" + "000000001000" + "1122093015" + "000123" + "374761739001010119=22122011143804400000" + "TERM0001" + "MERCHANT1234567" + "840" + "0123456789ABCDEF" + "003ICC" + "0000000000000000"),
  Buffer.from("0800" + "8220000000000000" + "0400000000000000" + "1122093015" + "000001" + "301"),
].map((b) => new Uint8Array(b));

function mutate(src: Uint8Array): Uint8Array {
  let b = src.slice();
  const rounds = 1 + ri(4);
  for (let r = 0; r < rounds; r++) {
    const op = ri(7);
    if (b.length === 0) break;
    const i = ri(b.length);
    if (op === 0) b[i] ^= 1 << ri(8);
    else if (op === 1) b[i] = ri(256);
    else if (op === 2) b = b.slice(0, ri(b.length));
    else if (op === 3) {
      const n = new Uint8Array(b.length + 1 + ri(8));
      n.set(b.subarray(0, i));
      for (let k = i; k < i + n.length - b.length; k++) n[k] = ri(256);
      n.set(b.subarray(i), i + n.length - b.length);
      b = n;
    } else if (op === 4) {
      const k = 1 + ri(8);
      const n = new Uint8Array(Math.max(0, b.length - k));
      n.set(b.subarray(0, Math.min(i, n.length)));
      if (i + k < b.length) n.set(b.subarray(i + k), i);
      b = n;
    } else if (op === 5) b[ri(Math.min(b.length, 26))] ^= 1 << ri(8); // the head: lengths, MTI, bitmap
    else b[i] = [0x00, 0xff, 0x99, 0x9a, 0xd0, 0x30, 0x39, 0x41][ri(8)]!;
  }
  return b;
}

function isTyped(e: unknown): boolean {
  const c = (e as { code?: unknown }).code;
  return typeof c === "string" && c.startsWith("E_8583_");
}

/** Reads every field every way; any error must be typed. Returns the values when all read cleanly. */
function readAll(m: Iso8583Message): FieldValues | undefined {
  const c: CompiledSpec = m.compiled;
  const values: Record<number, string> = {};
  let clean = true;
  for (const n of m.fields()) {
    try {
      const s = m.getString(n)!;
      values[n] = s;
      if (c.type[n] === 1 && m.units[n]! <= 15) assert.is(m.getNumber(n), Number(s));
    } catch (e) {
      if (!isTyped(e)) throw e;
      clean = false;
    }
    try {
      m.getBytes(n, (n & 1) === 0);
    } catch (e) {
      if (!isTyped(e)) throw e;
    }
  }
  if (m.macEnd >= 0) assert.ok(m.macInput().length === m.macEnd - m.start);
  describe(m);
  return clean ? values : undefined;
}

function fuzzDialect(name: string, spec: typeof CUP_SPEC, seeds: Uint8Array[], framed: boolean, iterations: number) {
  const m = new Iso8583Message(spec);
  const m2 = new Iso8583Message(spec);
  const p = new Iso8583Packer(spec);
  const out = new Uint8Array(8192);
  let ok = 0;
  let typed = 0;
  let repacked = 0;
  let worst = 0;
  let worstSize = 0;
  const codes: Record<string, number> = {};
  const t0 = performance.now();
  for (let it = 0; it < iterations; it++) {
    let input: Uint8Array;
    if (it % 10 === 0) {
      input = new Uint8Array(ri(160));
      for (let k = 0; k < input.length; k++) input[k] = ri(256);
    } else input = mutate(seeds[it % seeds.length]!);
    const ts = performance.now();
    try {
      let body = input;
      if (framed) body = splitFrame(input, 0, input.length, ri(2) === 0).body;
      m.parse(body);
      ok++;
      const values = readAll(m);
      if (values) {
        // Valid values re-pack, and the re-packed message reads back to the same values.
        const end = p.pack(m.mti, values, out, 0);
        m2.parse(out, 0, end);
        for (const n of m.fields()) assert.is(m2.getString(n), values[n], `${name} it ${it} field ${n}`);
        repacked++;
      }
    } catch (e) {
      if (!isTyped(e)) {
        throw new Error(`${name} iteration ${it}: untyped ${String(e)} on ${Buffer.from(input).toString("hex")}`);
      }
      typed++;
      const c = (e as { code: string }).code;
      codes[c] = (codes[c] ?? 0) + 1;
    }
    const dt = performance.now() - ts;
    if (dt > worst) {
      worst = dt;
      worstSize = input.length;
    }
  }
  const ms = performance.now() - t0;
  rows.push({ decoder: `ISO 8583 ${name} (firmware/core/iso8583.ts${framed ? " + cup/frame.ts splitFrame" : ""}, every field read, re-packed)`, where: "node", iterations, typed, valid: ok, codes, slowestMs: worst, slowestSize: worstSize, totalMs: ms });
  console.log(
    `  fuzz ${name}: ${iterations} iterations in ${ms.toFixed(0)} ms (worst ${worst.toFixed(2)} ms): ${ok} parsed (${repacked} re-packed), ${typed} typed errors ${JSON.stringify(codes)}`,
  );
  assert.ok(ok > 0 && typed > 0, "both outcomes reached");
}

test(`CUP frames: random and mutated §9 / sale frames (${ITER} iterations)`, () => {
  fuzzDialect("CUP", CUP_SPEC, SEEDS_CUP, true, ITER);
});

test(`ISO 8583:1987 ASCII: random and mutated messages (${Math.floor(ITER / 4)} iterations)`, () => {
  fuzzDialect("ASCII87", ISO8583_1987_ASCII, SEEDS_ASCII, false, Math.floor(ITER / 4));
});

test(`packing random values (${Math.floor(ITER / 4)} iterations): packed and read back, or a typed error`, () => {
  const p = new Iso8583Packer(CUP_SPEC);
  const m = new Iso8583Message(CUP_SPEC);
  const out = new Uint8Array(4096);
  const numbers = [2, 3, 4, 11, 12, 13, 14, 15, 22, 23, 25, 26, 32, 35, 36, 37, 38, 39, 41, 42, 44, 48, 49, 52, 53, 54, 55, 60, 61, 62, 63, 64, 5, 70, 1];
  const alphabet = "0123456789D=ABCDEFabcdef xyz-@\u00e9\u4e2d";
  let ok = 0;
  let typed = 0;
  const n = Math.floor(ITER / 4);
  for (let it = 0; it < n; it++) {
    const values: Record<number, string | Uint8Array | number> = {};
    const count = 1 + ri(8);
    for (let k = 0; k < count; k++) {
      const f = numbers[ri(numbers.length)]!;
      const kind = ri(10);
      if (kind === 0) values[f] = ri(1_000_000);
      else if (kind === 1) values[f] = new Uint8Array(ri(20)).map(() => 32 + ri(90));
      else {
        const len = ri(kind === 2 ? 300 : 24);
        let s = "";
        const digitsOnly = ri(2) === 0;
        for (let q = 0; q < len; q++) s += digitsOnly ? String(ri(10)) : alphabet[ri(alphabet.length)];
        values[f] = s;
      }
    }
    try {
      const end = p.pack(ri(5) === 0 ? "02x0" : "0200", values, out, 0);
      m.parse(out, 0, end);
      ok++;
      for (const f of m.fields()) {
        const v = values[f]!;
        const s = m.getString(f)!;
        const t = CUP_SPEC.fields[f]!.type;
        if (typeof v === "string" && t !== "b" && CUP_SPEC.fields[f]!.kind && t !== "z") assert.is(s, v, `field ${f}`);
      }
    } catch (e) {
      if (!isTyped(e)) throw new Error(`pack iteration ${it}: untyped ${String(e)} on ${JSON.stringify(values)}`);
      typed++;
    }
  }
  console.log(`  fuzz pack: ${n} iterations: ${ok} packed and read back, ${typed} typed errors`);
  assert.ok(ok > 0 && typed > 0);
});

test.after(() => recordFuzzRows("iso8583", rows));

test.run();
