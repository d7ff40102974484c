/**
 * Fuzzing the BER-TLV parser, cursor and DOL parser with random and mutated field 55 / FCI / record
 * inputs: every input either parses into a consistent result or throws a CoreError with an E_TLV_*
 * (or E_RANGE) code; never another exception, never a hang (time per input is bounded).
 * FUZZ_ITERATIONS overrides the count (default 200000).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CoreError } from "../../firmware/core/errors.ts";
import { hexToBytes } from "../../firmware/core/bytes.ts";
import { TlvCursor, TlvMap } from "../../firmware/core/tlv.ts";
import { Dol } from "../../firmware/core/dol.ts";
import { FIELD55_HEX } from "../vectors/field55.ts";

import { iterations, recordFuzzRows } from "./kit.ts";
import { rngInt as xorshift } from "../support.ts";

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? iterations(200000));
const SEEDS = [
  FIELD55_HEX,
  "6F30840E325041592E5359532E4444463031A51EBF0C1B61194F08A000000333010101500A50424F43204445424954870101",
  "6F1A840E315041592E5359532E4444463031A5088801015F2D027A68",
  "702057126222021234567890123D301210112345678F5F20095A48414E472F53414E",
  "770E82027C0094080801010010010301",
  "7081839081800102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F",
  "9F02069F03069F1A0295055F2A029A039C019F3704",
  nested(10),
].map(hexToBytes);

/** Templates nested `levels` deep around one PAN object (deeper than the default limit of 8 at 9+). */
function nested(levels: number): string {
  let hex = "5A0101";
  for (let i = 0; i < levels; i++) hex = "70" + (hex.length / 2).toString(16).padStart(2, "0").toUpperCase() + hex;
  return hex;
}
const SPECIAL = [0x00, 0xff, 0x80, 0x81, 0x82, 0x83, 0x84, 0x1f, 0x3f, 0x5f, 0x7f, 0x9f, 0xbf, 0xdf, 0xff, 0x70, 0x6f, 0xa5, 0x20, 0x7f];
const CODES = new Set(["E_TLV_TRUNCATED", "E_TLV_BAD_LENGTH", "E_TLV_BAD_TAG", "E_TLV_TOO_DEEP"]);


function mutate(r: (n: number) => number, src: Uint8Array): Uint8Array {
  let b = Array.from(src);
  const edits = 1 + r(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length ? r(b.length) : 0;
    switch (r(8)) {
      case 0: b[at] = (b[at] ?? 0) ^ (1 << r(8)); break; // bit flip
      case 1: b[at] = SPECIAL[r(SPECIAL.length)]!; break; // interesting byte
      case 2: b[at] = r(256); break;
      case 3: b.splice(at, 0, r(256)); break; // insert
      case 4: b.splice(at, 1 + r(3)); break; // delete
      case 5: b = b.slice(0, at); break; // truncate
      case 6: { const from = r(b.length + 1); b.splice(at, 0, ...b.slice(from, from + 1 + r(16))); break; } // duplicate a run
      default: b.splice(at, 0, ...[0x70, 0x70, 0x70, 0x70, 0x70].slice(0, 1 + r(5)).flatMap((t) => [t, r(256)])); // template headers
    }
  }
  return Uint8Array.from(b);
}

function randomBytes(r: (n: number) => number): Uint8Array {
  const n = r(260);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r(3) === 0 ? SPECIAL[r(SPECIAL.length)]! : r(256);
  return b;
}

/** Consistency of a successful parse: every object inside its parent, in order, and the cursor agrees. */
function checkMap(m: TlvMap, buf: Uint8Array, cursor: TlvCursor): void {
  assert.ok(m.count <= buf.length / 2, "at least 2 bytes per object");
  let n = 0;
  cursor.reset(buf);
  while (cursor.nextDeep()) {
    assert.ok(n < m.count, "cursor sees more objects than the map");
    assert.is(cursor.tag, m.tagAt(n));
    assert.is(cursor.start, m.startAt(n));
    assert.is(cursor.valueOffset, m.valueOffsetAt(n));
    assert.is(cursor.valueLength, m.valueLengthAt(n));
    assert.is(cursor.depth, m.depthAt(n));
    n++;
  }
  assert.is(n, m.count);
  for (let i = 0; i < m.count; i++) {
    const p = m.parentAt(i);
    const end = m.endAt(i);
    assert.ok(m.startAt(i) < m.valueOffsetAt(i) && end <= buf.length);
    if (p >= 0) {
      assert.ok(p < i && m.isConstructedAt(p));
      assert.ok(m.startAt(i) >= m.valueOffsetAt(p) && end <= m.endAt(p));
    }
    assert.ok(m.indexOf(m.tagAt(i)) <= i);
  }
}

test(`fuzz: ${ITERATIONS} random and mutated inputs, only valid results or E_TLV_* errors`, () => {
  const r = xorshift(0xc0ffee);
  const map = new TlvMap(8);
  const cursor = new TlvCursor();
  const dol = new Dol(4);
  const errors = new Map<string, number>();
  let ok = 0;
  let worstMs = 0;
  let worstSize = 0;
  const t0 = performance.now();
  for (let it = 0; it < ITERATIONS; it++) {
    const input = r(5) === 0 ? randomBytes(r) : mutate(r, SEEDS[r(SEEDS.length)]!);
    const start = performance.now();
    try {
      map.parse(input);
      checkMap(map, input, cursor);
      ok++;
    } catch (e) {
      if (!(e instanceof CoreError) || !CODES.has(e.code)) throw new Error(`input ${Buffer.from(input).toString("hex")}: ${String(e)}`);
      errors.set(e.code, (errors.get(e.code) ?? 0) + 1);
      assert.is(map.count, 0);
    }
    try {
      dol.parse(input);
      let sum = 0;
      for (let i = 0; i < dol.count; i++) sum += dol.lengthAt(i);
      assert.is(sum, dol.dataLength);
    } catch (e) {
      if (!(e instanceof CoreError) || !CODES.has(e.code)) throw new Error(`DOL ${Buffer.from(input).toString("hex")}: ${String(e)}`);
    }
    const ms = performance.now() - start;
    if (ms > worstMs) {
      worstMs = ms;
      worstSize = input.length;
    }
  }
  const total = performance.now() - t0;
  console.log(
    `  fuzz tlv: ${ITERATIONS} iterations in ${total.toFixed(0)} ms, ${ok} parsed, errors ${JSON.stringify(Object.fromEntries(errors))}, worst input ${worstMs.toFixed(2)} ms`,
  );
  assert.ok(ok > ITERATIONS / 50, "the mutations keep some inputs valid");
  for (const c of CODES) assert.ok((errors.get(c) ?? 0) > 0, `reached ${c}`);
  const codes = Object.fromEntries(errors);
  const typed = Object.values(codes).reduce((a, b) => a + b, 0);
  recordFuzzRows("tlv", [{ decoder: "BER-TLV + DOL (firmware/core/tlv.ts TlvMap/TlvCursor, dol.ts)", where: "node", iterations: ITERATIONS, typed, valid: ok, codes, slowestMs: worstMs, slowestSize: worstSize, totalMs: total }]);
});

test("fuzz: long inputs of repeated headers and padding stay linear", () => {
  const sizes = [1 << 12, 1 << 16, 1 << 20];
  const map = new TlvMap(8);
  for (const n of sizes) {
    const pad = new Uint8Array(n).fill(0x00);
    const t0 = performance.now();
    map.parse(pad);
    assert.is(map.count, 0);
    const many = new Uint8Array(n);
    for (let i = 0; i + 1 < n; i += 2) many[i] = 0xc1; // C1 00 ... : n/2 empty objects, all the same tag
    map.parse(many);
    assert.is(map.count, n >> 1);
    const deep = new Uint8Array(n).fill(0x70); // 70 70 70 ...: nested headers until too deep
    assert.throws(() => map.parse(deep), (e: CoreError) => e.code === "E_TLV_TRUNCATED" || e.code === "E_TLV_TOO_DEEP");
    const ms = performance.now() - t0;
    console.log(`  fuzz tlv: ${n}-byte padding / ${n >> 1} repeated objects / nested headers in ${ms.toFixed(1)} ms`);
    assert.ok(ms < 2000, `${n} bytes took ${ms} ms`);
  }
});

test.run();
