/** ATR (ISO 7816-3) and ATS (ISO 14443-4) parsing, with published ATRs. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAtr, parseAts } from "../../hal/card/atr.ts";

const H = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const code = (f: () => unknown) => {
  try {
    f();
    return "";
  } catch (e) {
    return (e as { code: string }).code;
  }
};

test("published T=1 ATR 3B 95 11 81 11 FE 56 20 31 2E 50 D3 (blog.csdn.net/Haomione/article/details/126617392)", () => {
  const a = parseAtr(H("3B 95 11 81 11 FE 56 20 31 2E 50 D3"));
  assert.is(a.convention, "direct");
  assert.is(a.t0, 0x95);
  assert.equal(a.ta, [0x11, undefined, 0xfe]);
  assert.equal(a.td, [0x81, 0x11, undefined]);
  assert.equal(a.protocols, [1]);
  assert.is(a.protocol, 1);
  assert.equal(Array.from(a.historical), [0x56, 0x20, 0x31, 0x2e, 0x50]);
  assert.is(a.tck, 0xd3);
  assert.is(a.fi, 372);
  assert.is(a.di, 1);
});

test("published JCOP41 ATR 3B FA 13 00 00 81 31 FE 45 'JCOP41V221' 96 (blog.csdn.net/feimor/article/details/5731621)", () => {
  const a = parseAtr(H("3BFA1300008131FE454A434F5034315632323196"));
  assert.equal(a.ta, [0x13, undefined, 0xfe]);
  assert.equal(a.tb, [0x00, undefined, 0x45]);
  assert.equal(a.tc, [0x00, undefined, undefined]);
  assert.equal(a.protocols, [1]);
  assert.is(Buffer.from(a.historical).toString("latin1"), "JCOP41V221");
  assert.is(a.tck, 0x96);
  assert.is(a.fi, 372);
  assert.is(a.di, 4);
  assert.is(a.extraGuardTime, 0);
});

test("the bogus ATR pyscard reports (3B EF 00 FF 81 31 00 45 65 63: 15 historical bytes announced, 2 sent) is truncated", () => {
  assert.is(code(() => parseAtr(H("3BEF00FF8131004565 63"))), "E_ATR_TRUNCATED");
});

test("a corrupted TCK is refused; a T=0-only ATR needs none", () => {
  assert.is(code(() => parseAtr(H("3B95118111FE5620312E50D4"))), "E_ATR_TCK");
  assert.is(code(() => parseAtr(H("3B95118111FE5620312E50"))), "E_ATR_TRUNCATED");
  const t0 = parseAtr(H("3B 6C 00 00 55 50 43 4F 53 2D 44 45 42 49 54 31"));
  assert.equal(t0.protocols, [0]);
  assert.is(t0.tck, undefined);
  assert.equal(t0.tb, [0x00]);
  assert.equal(t0.tc, [0x00]);
});

test("T=0 and T=1 offered: first offered wins; T=15 is not a protocol but makes the TCK mandatory", () => {
  // TD1 = 80 (T=0, TD2 follows), TD2 = 01 (T=1): TCK required.
  const raw = [0x3b, 0x80, 0x80, 0x01];
  let x = 0;
  for (let i = 1; i < raw.length; i++) x ^= raw[i]!;
  const a = parseAtr(Uint8Array.from([...raw, x]));
  assert.equal(a.protocols, [0, 1]);
  assert.is(a.protocol, 0);
  const b = [0x3b, 0x80, 0x8f, 0x01];
  let y = 0;
  for (let i = 1; i < b.length; i++) y ^= b[i]!;
  assert.equal(parseAtr(Uint8Array.from([...b, y])).protocols, [1]);
});

test("inverse convention TS 3F (synthetic ATR), bad TS, too short, too long, trailing bytes", () => {
  assert.is(parseAtr(H("3F 60 00 00")).convention, "inverse");
  assert.is(code(() => parseAtr(H("3C 60 00 00"))), "E_ATR_TS");
  assert.is(code(() => parseAtr(H("3B"))), "E_ATR_TRUNCATED");
  assert.is(code(() => parseAtr(new Uint8Array(34).fill(0x3b))), "E_ATR_LENGTH");
  assert.is(code(() => parseAtr(H("3B 60 00 00 99"))), "E_ATR_LENGTH");
});

test("ATS: TL, T0 interface bytes, FSCI -> FSC, FWI, historical bytes; defaults; errors", () => {
  const a = parseAts(H("0D 78 80 70 02 55 50 51 50 42 4F 43 31"));
  assert.is(a.fsci, 8);
  assert.is(a.fsc, 256);
  assert.is(a.ta, 0x80);
  assert.is(a.tb, 0x70);
  assert.is(a.tc, 0x02);
  assert.is(a.fwi, 7);
  assert.is(Buffer.from(a.historical).toString("latin1"), "UPQPBOC1");
  const d = parseAts(H("01"));
  assert.is(d.fsc, 32);
  assert.is(d.fwi, 4);
  assert.is(parseAts(H("02 05")).fsc, 64);
  assert.is(code(() => parseAts(H("05 78 80"))), "E_ATS");
  assert.is(code(() => parseAts(H("03 F0 00"))), "E_ATS");
  assert.is(code(() => parseAts(H("03 70 80"))), "E_ATS");
});

test.run();
