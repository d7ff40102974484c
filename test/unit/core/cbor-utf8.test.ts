/** UTF-8 and CBOR of the core, against Node's TextEncoder/TextDecoder and cbor-x, RFC 8949 examples, and fuzz. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encode as cborxEncode, decode as cborxDecode } from "cbor-x";
import { utf8Decode, utf8Encode, utf8Length } from "../../../firmware/core/utf8.ts";
import { cborDecode, cborEncode, type CborValue } from "../../../firmware/core/cbor.ts";
import { CoreError } from "../../../firmware/core/errors.ts";
import { rng } from "../../support.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("utf8: random strings (CJK, astral, lone surrogates) encode like TextEncoder", () => {
  const r = rng(1);
  const te = new TextEncoder();
  const pool = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0x4e2d, 0x94f6, 0xffff, 0xd83d, 0xde00, 0xdc00, 0xd800, 0xe9];
  for (let i = 0; i < 3000; i++) {
    let s = "";
    const n = Math.floor(r() * 20);
    for (let k = 0; k < n; k++) s += r() < 0.2 ? String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff)) : String.fromCharCode(pool[Math.floor(r() * pool.length)]!);
    const want = te.encode(s);
    assert.is(hex(utf8Encode(s)), hex(want), JSON.stringify(s));
    assert.is(utf8Length(s), want.length);
    assert.is(utf8Decode(want), new TextDecoder().decode(want));
  }
});

test("utf8: malformed bytes decode to U+FFFD exactly as the WHATWG decoder does", () => {
  const r = rng(2);
  const td = new TextDecoder();
  for (let i = 0; i < 20000; i++) {
    const b = new Uint8Array(Math.floor(r() * 12)).map(() => (r() < 0.5 ? 0x80 + Math.floor(r() * 0x80) : Math.floor(r() * 256)));
    assert.is(utf8Decode(b), td.decode(b), hex(b));
  }
});

test("cbor: RFC 8949 Appendix A examples", () => {
  const cases: Array<[CborValue, string]> = [
    [0, "00"], [23, "17"], [24, "1818"], [100, "1864"], [1000, "1903e8"], [1000000, "1a000f4240"],
    [1000000000000, "1b000000e8d4a51000"], [-1, "20"], [-1000, "3903e7"], [1.1, "fb3ff199999999999a"],
    [false, "f4"], [true, "f5"], [null, "f6"], [undefined, "f7"], [new Uint8Array([1, 2, 3, 4]), "4401020304"],
    ["", "60"], ["a", "6161"], ["\u00fc", "62c3bc"], ["\u6c34", "63e6b0b4"], [[], "80"], [[1, [2, 3], [4, 5]], "8301820203820405"],
    [{ a: 1, b: [2, 3] }, "a26161016162820203"],
  ];
  for (const [v, h] of cases) {
    assert.is(hex(cborEncode(v)), h, JSON.stringify(v));
    assert.equal(cborDecode(Buffer.from(h, "hex")), v instanceof Uint8Array ? v : v);
  }
  // Decode-only forms: half/single floats, indefinite lengths.
  assert.is(cborDecode(Buffer.from("f93c00", "hex")), 1);
  assert.is(cborDecode(Buffer.from("f97bff", "hex")), 65504);
  assert.is(cborDecode(Buffer.from("fa47c35000", "hex")), 100000);
  assert.equal(cborDecode(Buffer.from("9f018202039f0405ffff", "hex")), [1, [2, 3], [4, 5]]);
  assert.equal(cborDecode(Buffer.from("bf61610161629f0203ffff", "hex")), { a: 1, b: [2, 3] });
  assert.is(hex(cborDecode(Buffer.from("5f42010243030405ff", "hex")) as Uint8Array), "0102030405");
});

function randomValue(r: () => number, depth: number): CborValue {
  const k = Math.floor(r() * (depth > 3 ? 6 : 8));
  switch (k) {
    case 0: return Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 52)));
    case 1: return ["交易成功", "SALE", "", "商户 898100012345678", "\u{1F600}"][Math.floor(r() * 5)]!;
    case 2: return new Uint8Array(Math.floor(r() * 40)).map(() => Math.floor(r() * 256));
    case 3: return [true, false, null][Math.floor(r() * 3)]!;
    case 4: return r() * 1e6;
    case 5: return Math.floor(r() * 70000);
    case 6: return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
    default: {
      const o: { [k: string]: CborValue } = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[`k${Math.floor(r() * 100)}`] = randomValue(r, depth + 1);
      return o;
    }
  }
}
const norm = (v: unknown): unknown => typeof v === "bigint" ? Number(v) :
  v instanceof Uint8Array ? { bytes: hex(v) } : Array.isArray(v) ? v.map(norm) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;

test("cbor: round trips with cbor-x in both directions (2000 random values)", () => {
  const r = rng(3);
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(r, 0);
    const ours = cborEncode(v);
    assert.equal(norm(cborxDecode(Buffer.from(ours))), norm(v), "cbor-x reads ours");
    assert.equal(norm(cborDecode(ours)), norm(v), "we read ours");
    // cbor-x tags a Uint8Array (RFC 8746) but writes a Buffer as a plain byte string, as we do.
    const asBuffers = (x: unknown): unknown =>
      x instanceof Uint8Array ? Buffer.from(x) : Array.isArray(x) ? x.map(asBuffers) : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, asBuffers(y)])) : x;
    const theirs = cborxEncode(asBuffers(v));
    assert.equal(norm(cborDecode(new Uint8Array(theirs))), norm(v), "we read cbor-x's");
  }
});

test("cbor fuzz: random and mutated input gives a value or a CoreError, never anything else", () => {
  const r = rng(4);
  const seeds = Array.from({ length: 50 }, () => cborEncode(randomValue(r, 0)));
  let values = 0;
  let errors = 0;
  const N = 100000;
  for (let i = 0; i < N; i++) {
    let b: Uint8Array;
    if (i % 2) b = new Uint8Array(Math.floor(r() * 30)).map(() => Math.floor(r() * 256));
    else {
      b = seeds[i % seeds.length]!.slice();
      for (let m = 1 + Math.floor(r() * 3); m > 0 && b.length; m--) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      if (r() < 0.3) b = b.subarray(0, Math.floor(r() * b.length));
    }
    try {
      cborDecode(b);
      values++;
    } catch (e) {
      if (!(e instanceof CoreError) || !/^E_CBOR_/.test(e.code)) throw e;
      errors++;
    }
  }
  console.log(`    cbor fuzz: ${N} inputs, ${values} decoded, ${errors} typed errors`);
});

test.run();
