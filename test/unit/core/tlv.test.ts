/**
 * firmware/core/tlv.ts (BER-TLV cursor, map, writer), firmware/core/dol.ts (DOL data) and the tag
 * dictionary: worked EMV examples (PSE/PPSE FCIs, READ RECORD, GPO, field 55), long forms, padding,
 * errors, and round trips cross-checked with an independent parser (npm `ber-tlv`).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { bytesToAscii, bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import {
  checkTag,
  encodeLength,
  encodeTag,
  isConstructedTag,
  lengthSize,
  parseTlv,
  TlvCursor,
  TlvMap,
  TlvWriter,
} from "../../../firmware/core/tlv.ts";
import { buildDolData, dataFormat, Dol } from "../../../firmware/core/dol.ts";
import { parseTrack2Bytes } from "../../../firmware/core/track2.ts";
import { describeTlv, tagName, EMV_TAG_NAMES } from "../../../firmware/emv/tag-names.ts";
import { FIELD55_ELEMENTS, FIELD55_HEX } from "../../vectors/field55.ts";
import { rngInt as rng } from "../../support.ts";

const require = createRequire(import.meta.url);
const berTlv = require("ber-tlv") as {
  TlvFactory: { parse(b: Buffer): OracleTlv[] };
};
interface OracleTlv {
  tag: string;
  type: number;
  value: Buffer | null;
  items: OracleTlv[] | null;
}

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
  return "nothing thrown";
};
const hexTag = (t: number) => {
  const s = t.toString(16).toUpperCase();
  return s.length & 1 ? "0" + s : s;
};

// Worked examples, lengths computed by hand (and checked by the oracle below).
/** Contactless PPSE: 6F{84 "2PAY.SYS.DDF01", A5{BF0C{61{4F AID, 50 "PBOC DEBIT", 87 01}}}}. */
const PPSE = "6F30840E325041592E5359532E4444463031A51EBF0C1B61194F08A000000333010101500A50424F43204445424954870101";
/** Contact PSE: 6F{84 "1PAY.SYS.DDF01", A5{88 SFI 01, 5F2D "zh"}}. */
const PSE = "6F1A840E315041592E5359532E4444463031A5088801015F2D027A68";
/** READ RECORD response: 70{57 track 2 equivalent data, 5F20 cardholder name}. */
const RECORD = "702057126222021234567890123D301210112345678F5F20095A48414E472F53414E";
/** GPO response, format 2: 77{82 AIP, 94 AFL}. */
const GPO = "770E82027C0094080801010010010301";

test("PPSE FCI: find by path, children, depth, the AID and the label", () => {
  const m = new TlvMap().parse(hexToBytes(PPSE));
  assert.is(m.count, 8);
  const aid = m.find([0x6f, 0xa5, 0xbf0c, 0x61, 0x4f]);
  assert.ok(aid >= 0);
  assert.is(bytesToHex(m.valueAt(aid)), "A000000333010101");
  assert.is(m.depthAt(aid), 4);
  assert.is(bytesToAscii(m.get(0x84)!), "2PAY.SYS.DDF01");
  assert.is(bytesToAscii(m.get(0x50)!), "PBOC DEBIT");
  assert.is(m.getUint(0x87), 1);
  assert.is(m.find([0x6f, 0x84]), 1);
  assert.is(m.find([0xa5, 0xbf0c]), -1, "paths start at the top level");
  assert.is(m.find([0x6f, 0x4f]), -1, "each step is a direct child");
  assert.is(m.find([]), -1);
  const a5 = m.find([0x6f, 0xa5]);
  assert.is(m.childIndexOf(a5, 0xbf0c), a5 + 1);
  assert.is(m.childIndexOf(-1, 0x6f), 0);
  assert.is(m.childIndexOf(-1, 0x84), -1);
  assert.ok(m.isConstructedAt(0) && m.isConstructedAt(a5) && !m.isConstructedAt(aid));
  assert.is(m.parentAt(0), -1);
  assert.is(m.tagAt(m.parentAt(aid)), 0x61);
  assert.is(m.startAt(0), 0);
  assert.is(m.valueOffsetAt(0), 2);
  assert.is(m.endAt(0), PPSE.length / 2);
  assert.is(bytesToHex(m.rawAt(aid)), "4F08A000000333010101");
  // Top level only.
  const top = new TlvMap().parse(hexToBytes(PPSE), 0, PPSE.length / 2, false);
  assert.is(top.count, 1);
  assert.is(top.indexOf(0x4f), -1);
});

test("PSE FCI: SFI of the directory and the language preference", () => {
  const m = parseTlv(hexToBytes(PSE));
  assert.is(m.getUint(m.tagAt(m.find([0x6f, 0xa5, 0x88]))), 1);
  assert.is(bytesToHex(m.valueAt(m.find([0x6f, 0xa5, 0x88]))), "01");
  assert.is(bytesToAscii(m.get(0x5f2d)!), "zh");
  assert.is(bytesToAscii(m.get(0x84)!), "1PAY.SYS.DDF01");
});

test("READ RECORD 70 template: track 2 equivalent data and cardholder name", () => {
  const m = new TlvMap().parse(hexToBytes(RECORD));
  const t2 = m.find([0x70, 0x57]);
  const t = parseTrack2Bytes(m.buffer, m.valueOffsetAt(t2), m.valueLengthAt(t2));
  assert.is(t.pan, "6222021234567890123");
  assert.is(t.expiry, "3012");
  assert.is(t.serviceCode, "101");
  assert.is(t.discretionary, "12345678");
  assert.is(bytesToAscii(m.get(0x5f20)!), "ZHANG/SAN");
});

test("GPO format 2 and the cursor: enter/leave, nextDeep with depths", () => {
  const c = new TlvCursor().reset(hexToBytes(GPO));
  assert.ok(c.next());
  assert.is(c.tag, 0x77);
  assert.ok(c.constructed);
  c.enter();
  assert.ok(c.next());
  assert.is(c.tag, 0x82);
  assert.is(bytesToHex(c.buffer, c.valueOffset, c.valueLength), "7C00");
  assert.is(code(() => c.enter()), "E_TLV_NOT_CONSTRUCTED");
  c.leave();
  assert.not.ok(c.next());
  assert.is(code(() => c.leave()), "E_TLV_STATE");
  const seen: string[] = [];
  c.reset(hexToBytes(PPSE));
  while (c.nextDeep()) seen.push(`${c.depth}:${hexTag(c.tag)}:${c.valueLength}`);
  assert.equal(seen, ["0:6F:48", "1:84:14", "1:A5:30", "2:BF0C:27", "3:61:25", "4:4F:8", "4:50:10", "4:87:1"]);
  // Leaving a template early skips the rest of it.
  c.reset(hexToBytes(PPSE + GPO));
  c.next();
  c.enter();
  c.next();
  c.leave();
  assert.ok(c.next());
  assert.is(c.tag, 0x77);
  assert.is(c.start, PPSE.length / 2);
});

test("field 55 fixture: every element in order, values on demand, numeric and binary readers", () => {
  const m = new TlvMap().parse(hexToBytes(FIELD55_HEX));
  assert.is(m.count, FIELD55_ELEMENTS.length);
  FIELD55_ELEMENTS.forEach((e, i) => {
    assert.is(m.tagAt(i), e.tag);
    assert.is(m.indexOf(e.tag), i);
    assert.is(bytesToHex(m.valueAt(i)), e.hex);
  });
  assert.is(m.getUint(0x9f36), 0x0123);
  assert.is(m.getNumeric(0x9f02), "000000012345");
  assert.is(m.getNumeric(0x9a), "250615");
  assert.is(m.getNumeric(0x5f2a), "0156");
  assert.is(m.getUint(0x9f7a), -1);
  assert.is(m.getNumeric(0x9f7a), undefined);
  assert.is(m.get(0x9f7a), undefined);
  assert.is(code(() => m.getUint(0x9f26)), "E_TLV_BAD_LENGTH");
  const out = new Uint8Array(10);
  assert.is(m.copyValue(m.indexOf(0x9f37), out, 3), 4);
  assert.is(bytesToHex(out), "0000005D3A91C4000000");
  // The writer rebuilds the fixture byte for byte.
  const w = new TlvWriter(16);
  for (const e of FIELD55_ELEMENTS) w.putHex(e.tag, e.hex);
  assert.is(bytesToHex(w.bytes()), FIELD55_HEX);
  // Typed puts give the same bytes as the hex.
  w.reset().putNumeric(0x9f02, 12345, 6).putNumeric(0x9a, "250615", 3).putUint(0x9f36, 0x123, 2).putAscii(0x9f1e, "12345678");
  assert.is(bytesToHex(w.bytes()), "9F02060000000123459A032506159F360201239F1E083132333435363738");
});

test("long forms 81/82/83 for values and templates (writer shifts template contents)", () => {
  const v128 = new Uint8Array(128).map((_, i) => i);
  const v300 = new Uint8Array(300).map((_, i) => i & 0xff);
  const v70000 = new Uint8Array(70000).map((_, i) => (i * 7) & 0xff);
  const w = new TlvWriter(8);
  w.put(0x90, v128);
  assert.is(bytesToHex(w.bytes().subarray(0, 3)), "908180");
  w.reset().begin(0x70).put(0x90, v128).end();
  assert.is(bytesToHex(w.bytes().subarray(0, 6)), "708183908180");
  assert.is(w.length, 3 + 3 + 128);
  w.reset().begin(0x70).begin(0xbf0c).put(0x9f4b, v300).end().put(0x9f4c, new Uint8Array(2)).end();
  const b = w.toBytes();
  assert.is(bytesToHex(b.subarray(0, 11)), "7082013B" + "BF0C820131" + "9F4B"); // 9F4B 82012C+300 = 305 = 0x131; 5+305+5 = 0x13B
  const m = new TlvMap().parse(b);
  assert.is(m.valueLengthAt(m.find([0x70, 0xbf0c, 0x9f4b])), 300);
  assert.equal(m.valueAt(m.find([0x70, 0xbf0c, 0x9f4b])), v300);
  assert.is(m.valueLengthAt(m.find([0x70, 0x9f4c])), 2);
  w.reset().put(0xdf8129, v70000);
  assert.is(bytesToHex(w.bytes().subarray(0, 7)), "DF812983011170");
  const big = new TlvMap().parse(w.bytes());
  assert.is(big.tagAt(0), 0xdf8129);
  assert.is(big.valueLengthAt(0), 70000);
  assert.equal(big.valueAt(0), v70000);
  // Non-minimal length encodings are read as they are.
  const nm = new TlvMap().parse(hexToBytes("5A8108622202123456789F9F3682000201239F27830000018A"));
  assert.is(bytesToHex(nm.get(0x5a)!), "622202123456789F");
  assert.is(nm.getUint(0x9f36), 0x123);
  assert.is(bytesToHex(nm.get(0x9f27)!), "8A");
});

test("padding 00/FF before, between, after and inside templates; unknown and repeated tags kept", () => {
  const hex = "0000" + "9F2701" + "80" + "00FF" + "70" + "09" + "00" + "DF7F02ABCD" + "C10100" + "FFFF" + "9F2701" + "40" + "00";
  const m = new TlvMap().parse(hexToBytes(hex));
  assert.equal(
    Array.from({ length: m.count }, (_, i) => hexTag(m.tagAt(i))),
    ["9F27", "70", "DF7F", "C1", "9F27"],
  );
  assert.is(bytesToHex(m.get(0xdf7f)!), "ABCD");
  assert.is(bytesToHex(m.get(0xc1)!), "00");
  const first = m.indexOf(0x9f27);
  const second = m.nextIndexOf(first);
  assert.is(bytesToHex(m.valueAt(first)), "80");
  assert.is(bytesToHex(m.valueAt(second)), "40");
  assert.is(m.nextIndexOf(second), -1);
  assert.is(m.find([0x70, 0xc1]), 3);
  assert.is(new TlvMap().parse(hexToBytes("000000FF")).count, 0);
  assert.is(new TlvMap().parse(new Uint8Array(0)).count, 0);
});

test("malformed input: typed errors, the map left empty, sub-ranges respected", () => {
  const cases: Array<[string, string]> = [
    ["9F", "E_TLV_TRUNCATED"], // tag cut
    ["DF81", "E_TLV_TRUNCATED"], // 3-byte tag cut
    ["9F26", "E_TLV_TRUNCATED"], // no length
    ["9F260811223344", "E_TLV_TRUNCATED"], // value cut
    ["5A81", "E_TLV_TRUNCATED"], // long length cut
    ["5A8201", "E_TLV_TRUNCATED"],
    ["5A80", "E_TLV_BAD_LENGTH"], // indefinite
    ["5A8400000001AA", "E_TLV_BAD_LENGTH"], // 4 length bytes
    ["DF81818101AA", "E_TLV_BAD_TAG"], // 4-byte tag
    ["7005" + "9F270280", "E_TLV_TRUNCATED"], // child runs past its template
    ["70039F2701" + "80", "E_TLV_TRUNCATED"], // child longer than the template
    ["9F2701809F3602", "E_TLV_TRUNCATED"],
  ];
  const m = new TlvMap();
  for (const [hex, want] of cases) {
    assert.is(code(() => m.parse(hexToBytes(hex))), want, hex);
    assert.is(m.count, 0, hex);
    assert.is(m.indexOf(0x9f27), -1, hex);
    const c = new TlvCursor().reset(hexToBytes(hex));
    assert.is(code(() => { while (c.nextDeep()); }), want, `cursor ${hex}`);
  }
  // A slice of a bigger buffer: the object must end inside the slice.
  const buf = hexToBytes("AA9F270180BB");
  assert.is(new TlvMap().parse(buf, 1, 4).count, 1);
  assert.is(code(() => new TlvMap().parse(buf, 1, 3)), "E_TLV_TRUNCATED");
  assert.is(code(() => new TlvMap().parse(buf, 4, 5)), "E_RANGE");
});

test("nesting depth limit: E_TLV_TOO_DEEP, configurable", () => {
  const nest = (levels: number) => {
    let hex = "5A0101";
    for (let i = 0; i < levels; i++) hex = "70" + (hex.length / 2).toString(16).padStart(2, "0").toUpperCase() + hex;
    return hexToBytes(hex);
  };
  assert.is(new TlvMap().parse(nest(8)).count, 9);
  assert.is(code(() => new TlvMap().parse(nest(9))), "E_TLV_TOO_DEEP");
  assert.is(new TlvMap(4, 12).parse(nest(12)).count, 13);
  assert.is(new TlvMap(4, 2).parse(nest(9), 0, undefined, false).count, 1, "no recursion, no limit");
  const c = new TlvCursor(3).reset(nest(4));
  assert.is(code(() => { while (c.nextDeep()); }), "E_TLV_TOO_DEEP");
  const w = new TlvWriter(16, 2).begin(0x70).begin(0x70);
  assert.is(code(() => w.begin(0x70)), "E_TLV_TOO_DEEP");
});

test("tags and lengths: encode, sizes, validity", () => {
  const out = new Uint8Array(4);
  assert.is(encodeTag(0x9f26, out, 0), 2);
  assert.is(bytesToHex(out, 0, 2), "9F26");
  assert.is(encodeTag(0xdf8129, out, 0), 3);
  assert.is(bytesToHex(out, 0, 3), "DF8129");
  assert.is(encodeLength(0x7f, out, 0), 1);
  assert.is(encodeLength(0x80, out, 0), 2);
  assert.is(bytesToHex(out, 0, 2), "8180");
  assert.is(encodeLength(0x100, out, 0), 3);
  assert.is(bytesToHex(out, 0, 3), "820100");
  assert.is(encodeLength(0x10000, out, 0), 4);
  assert.is(bytesToHex(out, 0, 4), "83010000");
  assert.is(lengthSize(0xffffff), 4);
  assert.is(code(() => lengthSize(0x1000000)), "E_TLV_BAD_LENGTH");
  for (const bad of [0, 0xff, 0x1f, 0x9f, 0x9f81, 0x5f, 0x9f8181, 0x9f0101, 0x1000000, -1, 1.5])
    assert.is(code(() => checkTag(bad)), "E_TLV_BAD_TAG", hexTag(bad));
  for (const good of [0x4f, 0x5a, 0x9f26, 0x5f2a, 0xbf0c, 0xdf8129, 0x1f8101]) checkTag(good);
  assert.ok(isConstructedTag(0x6f) && isConstructedTag(0xbf0c) && isConstructedTag(0xff8101));
  assert.not.ok(isConstructedTag(0x9f26) || isConstructedTag(0x5a) || isConstructedTag(0xdf8129));
});

test("writer: PPSE built with nested templates equals the worked example; state errors", () => {
  const w = new TlvWriter(4);
  w.begin(0x6f).putAscii(0x84, "2PAY.SYS.DDF01").begin(0xa5).begin(0xbf0c).begin(0x61);
  w.putHex(0x4f, "a000000333010101").putAscii(0x50, "PBOC DEBIT").putUint(0x87, 1, 1);
  w.end().end().end().end();
  assert.is(bytesToHex(w.bytes()), PPSE);
  assert.is(code(() => w.end()), "E_TLV_STATE");
  w.reset().begin(0x70);
  assert.is(code(() => w.bytes()), "E_TLV_STATE");
  assert.is(code(() => w.begin(0x5a)), "E_TLV_BAD_TAG");
  assert.is(code(() => w.putHex(0x5a, "123")), "E_HEX");
  assert.is(code(() => w.putHex(0x5a, "12G4")), "E_HEX");
  assert.is(code(() => w.putNumeric(0x9f02, "1234567890123", 6)), "E_BCD");
  assert.is(code(() => w.putNumeric(0x9f02, "12a", 6)), "E_BCD");
  assert.is(code(() => w.putUint(0x9f36, 0x10000, 2)), "E_TLV_BAD_LENGTH");
  assert.is(code(() => w.put(0x1f, new Uint8Array(1))), "E_TLV_BAD_TAG");
  assert.is(code(() => w.putAscii(0x50, "银联")), "E_ASCII");
  w.end();
  assert.is(bytesToHex(w.bytes()), "7000", "failed puts leave nothing behind");
  // Copy objects from a parsed map as they are (unknown tags preserved).
  const m = new TlvMap().parse(hexToBytes("DF7F02ABCD9F270180"));
  w.reset().begin(0x70).putRaw(m.rawAt(0)).putRaw(m.rawAt(1)).end();
  assert.is(bytesToHex(w.bytes()), "7009DF7F02ABCD9F270180");
});

/** A small deterministic PRNG (xorshift32) so failures are reproducible. */
const PRIMS = [0x5a, 0x57, 0x82, 0x95, 0x9a, 0x9f26, 0x9f10, 0x5f2a, 0xdf31, 0xdf8129, 0xc1, 0x9f63];
const TEMPLATES = [0x70, 0x77, 0xa5, 0xbf0c, 0x61, 0xe1];
interface Node {
  tag: number;
  value?: Uint8Array;
  kids?: Node[];
}
function randomTree(r: (n: number) => number, depth: number): Node[] {
  const n = 1 + r(5);
  const out: Node[] = [];
  for (let i = 0; i < n; i++) {
    if (depth < 4 && r(4) === 0) out.push({ tag: TEMPLATES[r(TEMPLATES.length)]!, kids: randomTree(r, depth + 1) });
    else {
      const len = r(8) === 0 ? 120 + r(200) : r(20);
      out.push({ tag: PRIMS[r(PRIMS.length)]!, value: new Uint8Array(len).map(() => r(256)) });
    }
  }
  return out;
}
function write(w: TlvWriter, nodes: Node[]): void {
  for (const n of nodes) {
    if (n.kids) {
      w.begin(n.tag);
      write(w, n.kids);
      w.end();
    } else w.put(n.tag, n.value!);
  }
}
function flatten(nodes: Node[], depth: number, out: Array<[number, number, string]>): void {
  for (const n of nodes) {
    out.push([n.tag, depth, n.value ? bytesToHex(n.value) : ""]);
    if (n.kids) flatten(n.kids, depth + 1, out);
  }
}
function flattenOracle(items: OracleTlv[], depth: number, out: Array<[number, number, string]>): void {
  for (const t of items) {
    out.push([parseInt(t.tag, 16), depth, t.value ? t.value.toString("hex").toUpperCase() : ""]);
    if (t.items) flattenOracle(t.items, depth + 1, out);
  }
}

test("round trip: 2000 random trees written, parsed by us and by npm ber-tlv, identical", () => {
  const r = rng(0x5eed);
  const w = new TlvWriter(64);
  const m = new TlvMap(8);
  for (let k = 0; k < 2000; k++) {
    const tree = randomTree(r, 0);
    w.reset();
    write(w, tree);
    const bytes = w.toBytes();
    const want: Array<[number, number, string]> = [];
    flatten(tree, 0, want);
    m.parse(bytes);
    const got: Array<[number, number, string]> = [];
    for (let i = 0; i < m.count; i++) got.push([m.tagAt(i), m.depthAt(i), m.isConstructedAt(i) ? "" : bytesToHex(m.valueAt(i))]);
    assert.equal(got, want, `tree ${k}`);
    const oracle: Array<[number, number, string]> = [];
    flattenOracle(berTlv.TlvFactory.parse(Buffer.from(bytes)), 0, oracle);
    assert.equal(oracle, want, `oracle, tree ${k}`);
    // The map's index finds every first occurrence.
    for (const [tag] of want) assert.is(m.tagAt(m.indexOf(tag)), tag);
  }
});

test("map grows past its capacity and reuses its arrays", () => {
  const w = new TlvWriter();
  for (let i = 0; i < 500; i++) w.putUint(0xdf00 | (i % 128 === 0x7f ? 1 : i % 128), i, 2);
  const m = new TlvMap(4);
  m.parse(w.bytes());
  assert.is(m.count, 500);
  for (let i = 0; i < 500; i++) assert.is(m.valueLengthAt(i), 2);
  let n = 0;
  for (let i = m.indexOf(0xdf05); i >= 0; i = m.nextIndexOf(i)) n++;
  assert.is(n, 4);
  m.parse(hexToBytes(GPO));
  assert.is(m.count, 3);
  assert.is(m.indexOf(0xdf05), -1);
});

test("DOL: CDOL1 data from field 55 values; EMV fitting rules for n, cn, b, absent, constructed", () => {
  const cdol1 = hexToBytes("9F02069F03069F1A0295055F2A029A039C019F3704");
  const dol = new Dol().parse(cdol1);
  assert.is(dol.count, 8);
  assert.is(dol.dataLength, 29);
  assert.is(dol.offsetOf(3), 14);
  const f55 = new TlvMap().parse(hexToBytes(FIELD55_HEX));
  assert.is(bytesToHex(dol.buildBytes(f55)), "000000012345" + "000000000000" + "0156" + "0000048000" + "0156" + "250615" + "00" + "5D3A91C4");
  // n: truncated on the left, padded on the left; b: on the right; cn (5A): padded with F.
  const src = new TlvMap().parse(hexToBytes("9F0206000000012345" + "9F1004AABBCCDD" + "5A086222021234567890" + "9F1E083132333435363738" + "7003820100"));
  const fit = (dolHex: string) => bytesToHex(new Dol().parse(hexToBytes(dolHex)).buildBytes(src));
  assert.is(fit("9F0204"), "00012345");
  assert.is(fit("9F0208"), "0000000000012345");
  assert.is(fit("9F1002"), "AABB");
  assert.is(fit("9F1006"), "AABBCCDD0000");
  assert.is(fit("5A0A"), "6222021234567890FFFF");
  assert.is(fit("5A04"), "62220212");
  assert.is(fit("9F1E0A"), "31323334353637380000");
  assert.is(fit("9F3704"), "00000000", "absent");
  assert.is(fit("7003"), "000000", "constructed");
  assert.is(fit(""), "");
  assert.is(dataFormat(0x9f02), "n");
  assert.is(dataFormat(0x5a), "cn");
  assert.is(dataFormat(0x9f37), "b");
  assert.is(dataFormat(0x9f1e), "an");
});

test("DOL: sources as a function or several maps (terminal first, then card); errors", () => {
  const terminal = new TlvMap().parse(new TlvWriter().putNumeric(0x9f02, 100, 6).putHex(0x9f37, "01020304").bytes().slice());
  const card = new TlvMap().parse(hexToBytes("9F3602001A9F370499999999"));
  const pdol = hexToBytes("9F02069F37049F3602");
  assert.is(bytesToHex(new Dol().parse(pdol).buildBytes([terminal, card])), "000000000100" + "01020304" + "001A");
  const byFn = buildDolData(pdol, (tag) => (tag === 0x9f36 ? hexToBytes("ABCD") : undefined));
  assert.is(bytesToHex(byFn), "000000000000" + "00000000" + "ABCD");
  // A DOL length in long form and a 3-byte tag.
  const d = new Dol().parse(hexToBytes("DF8129818A9F0201"));
  assert.is(d.tagAt(0), 0xdf8129);
  assert.is(d.lengthAt(0), 0x8a);
  assert.is(d.dataLength, 0x8b);
  const out = new Uint8Array(4);
  assert.is(code(() => new Dol().parse(pdol).build(terminal, out, 0)), "E_RANGE");
  assert.is(code(() => new Dol().parse(hexToBytes("9F"))), "E_TLV_TRUNCATED");
  assert.is(code(() => new Dol().parse(hexToBytes("9F02"))), "E_TLV_TRUNCATED");
  assert.is(code(() => new Dol().parse(hexToBytes("9F0280"))), "E_TLV_BAD_LENGTH");
  assert.is(code(() => new Dol().parse(hexToBytes("0006"))), "E_TLV_BAD_TAG");
  assert.is(code(() => new Dol().parse(hexToBytes("DF81818101"))), "E_TLV_BAD_TAG");
  const many = new Dol(2).parse(hexToBytes("9A039C019F21039F3704"));
  assert.is(many.count, 4);
  assert.is(many.dataLength, 11);
});

test("tag dictionary and describeTlv dump", () => {
  assert.is(tagName(0x9f26), "Application Cryptogram");
  assert.is(tagName(0x9f63), "Card Product Identification Information (PBOC)");
  assert.is(tagName(0xdf31), "Issuer Script Results (UnionPay)");
  assert.is(tagName(0x9f79), "Electronic Cash Balance (PBOC)");
  assert.is(tagName(0x1234), undefined);
  const tags = EMV_TAG_NAMES.map(([t]) => t);
  assert.is(new Set(tags).size, tags.length, "no tag listed twice");
  for (const t of tags) checkTag(t);
  assert.ok(FIELD55_ELEMENTS.every((e) => tagName(e.tag)), "every field 55 element has a name");
  const lines = describeTlv(hexToBytes(PPSE));
  assert.equal(lines, [
    "6F File Control Information (FCI) Template [48]",
    "  84 Dedicated File (DF) Name [14] 325041592E5359532E4444463031",
    "  A5 File Control Information (FCI) Proprietary Template [30]",
    "    BF0C File Control Information (FCI) Issuer Discretionary Data [27]",
    "      61 Application Template [25]",
    "        4F Application Identifier (AID) - card [8] A000000333010101",
    '        50 Application Label [10] 50424F43204445424954 "PBOC DEBIT"',
    "        87 Application Priority Indicator [1] 01",
  ]);
  assert.is(describeTlv(hexToBytes("DF7F0101"))[0], "DF7F (unknown tag) [1] 01");
  assert.is(code(() => describeTlv(hexToBytes("9F2605"))), "E_TLV_TRUNCATED");
});

test.run();
