/**
 * The CUP dialect and framing against the worked example of spec/cup-8583.md §9, byte for byte: the sign-in
 * request and response, the sale request with its MAC (mac.ts and an independent node:crypto computation).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { Iso8583Message, Iso8583Packer, describe, type FieldValues } from "../../../firmware/core/iso8583.ts";
import { CUP_FIELDS, CUP_SPEC, FIELD60_LAYOUT, FIELD61_LAYOUT, joinSubfields, splitSubfields } from "../../../firmware/cup/fields.ts";
import { BODY_OFFSET, frameSize, joinFrame, responseTpdu, splitFrame, writeFrameHead } from "../../../firmware/cup/frame.ts";
import { bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { computeMac } from "../../../firmware/core/mac.ts";
import { SALE_FIELDS, SALE_FIELD_NUMBERS, SALE_HEADER_HEX, SALE_MAK_HEX, SALE_MTI, SALE_TPDU_HEX } from "../../vectors/sale.ts";
import { FIELD55_HEX } from "../../vectors/field55.ts";

const hex = (s: string) => hexToBytes(s.replace(/\s+/g, ""));
const TPDU = hex("6000030000");
const HEADER = hex("603100310001");

// §9, as printed there (spaces only for reading).
const SIGNIN_REQ =
  "003C 6000030000 603100310001 0800 0020000000C00012 000001 3130303030303031 383938313030303132333435363738 0011 000000010030 0003 303031";
const SIGNIN_RESP =
  "0079 6000000003 603100310001 0810 003800010AC00014 000001 093015 1122 08 48020000 303933303135303030303031 3030 3130303030303031 383938313030303132333435363738 0011 000000010030 0040 CB4AB541CD5AD4FC256A882726936A5A 08D7B4FB DA64B6170F346167 0000000000000000 FC11AEF3";
const SALE_REQ =
  "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638";

const SIGNIN_VALUES: FieldValues = { 11: "000001", 41: "10000001", 42: "898100012345678", 60: "00000001003", 63: "001" };
const SIGNIN_RESP_VALUES: FieldValues = {
  11: "000001",
  12: "093015",
  13: "1122",
  32: "48020000",
  37: "093015000001",
  39: "00",
  41: "10000001",
  42: "898100012345678",
  60: "00000001003",
  62: "CB4AB541CD5AD4FC256A882726936A5A08D7B4FBDA64B6170F3461670000000000000000FC11AEF3",
};
const SALE_VALUES: FieldValues = {
  3: "000000",
  4: "000000010000",
  11: "000123",
  22: "021",
  25: "00",
  26: "06",
  35: "6222021234567890123=30121010000000000",
  41: "10000001",
  42: "898100012345678",
  49: "156",
  52: "2A084C604973D4AE",
  53: "2600000000000000",
  60: "22000001000",
  64: "0000000000000000", // placeholder, the MAC is written after packing
};

const packer = new Iso8583Packer(CUP_SPEC);
const msg = new Iso8583Message(CUP_SPEC);

/** Packs a whole CUP frame (LEN + TPDU + header + body) the zero-copy way. */
function packFrame(mti: string, values: FieldValues, tpdu = TPDU): Uint8Array {
  const out = new Uint8Array(2048);
  const end = packer.pack(mti, values, out, BODY_OFFSET);
  writeFrameHead(out, 0, tpdu, HEADER, end - BODY_OFFSET);
  return out.subarray(0, end);
}

/** Single DES through node:crypto (3DES with K1=K2=K3), independent of firmware/core. */
function desEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  const k = Buffer.concat([key, key, key]);
  const c = createCipheriv("des-ede3", k, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** The CUP ECB MAC of §7.4, written here from the spec text over node:crypto DES. */
function cupMacReference(mak: Uint8Array, data: Uint8Array): string {
  const x = new Uint8Array(8);
  for (let i = 0; i < data.length; i++) x[i % 8]! ^= data[i]!;
  const h = Buffer.from(Buffer.from(x).toString("hex").toUpperCase(), "ascii");
  const e1 = desEncrypt(mak, h.subarray(0, 8));
  for (let i = 0; i < 8; i++) e1[i]! ^= h[8 + i]!;
  const e2 = desEncrypt(mak, e1);
  return Buffer.from(e2).toString("hex").toUpperCase().slice(0, 8);
}

test("§9 sign-in request (0800): packs to the 62 bytes of the spec", () => {
  const frame = packFrame("0800", SIGNIN_VALUES);
  assert.is(bytesToHex(frame), SIGNIN_REQ.replace(/\s+/g, ""));
  assert.is(frame.length, 62);
  assert.is(frameSize(frame), 62);
});

test("§9 sign-in request: unpacks to every field value", () => {
  const f = splitFrame(hex(SIGNIN_REQ));
  assert.is(bytesToHex(f.tpdu), "6000030000");
  assert.is(bytesToHex(f.header), "603100310001");
  msg.parse(f.body);
  assert.is(msg.mti, "0800");
  assert.equal(msg.fields(), [11, 41, 42, 60, 63]);
  for (const n of msg.fields()) assert.is(msg.getString(n), SIGNIN_VALUES[n], `field ${n}`);
  assert.is(msg.units[60], 11, "60 counts 11 digits");
  assert.is(msg.dataBytes[60], 6);
  assert.is(msg.macEnd, -1, "no MAC in a sign-in");
  assert.throws(() => msg.macInput(), (e: { code?: string }) => e.code === "E_8583_FIELD");
});

test("§9 sign-in response (0810): parses, and packs back to the same 123 bytes", () => {
  const wire = hex(SIGNIN_RESP);
  const f = splitFrame(wire);
  assert.is(f.size, 0x79 + 2);
  assert.is(bytesToHex(f.tpdu), "6000000003");
  assert.is(bytesToHex(responseTpdu(TPDU)), "6000000003", "the response TPDU swaps the addresses");
  msg.parse(wire, f.bodyOffset, f.body.length);
  assert.is(msg.mti, "0810");
  assert.equal(msg.fields(), [11, 12, 13, 32, 37, 39, 41, 42, 60, 62]);
  for (const n of msg.fields()) assert.is(msg.getString(n), SIGNIN_RESP_VALUES[n], `field ${n}`);
  assert.is(msg.units[32], 8);
  assert.is(msg.getNumber(12), 93015);
  assert.is(msg.getNumber(32), 48020000);
  // Same bytes from an independent packing of the values.
  assert.is(bytesToHex(packFrame("0810", SIGNIN_RESP_VALUES, hex("6000000003"))), bytesToHex(wire));
});

test("§9 sign-in response: field 62 holds the working keys under the TMK (node:crypto) with their KCVs", () => {
  msg.parse(splitFrame(hex(SIGNIN_RESP)).body);
  const v62 = msg.getBytes(62)!;
  assert.is(v62.length, 40);
  assert.is(v62.buffer, msg.buffer.buffer, "a view by default");
  const copy = msg.getBytes(62, true)!;
  assert.is.not(copy.buffer, msg.buffer.buffer, "a copy on request");
  assert.is(bytesToHex(copy), bytesToHex(v62));
  const tmk = hex("11111111111111112222222222222222");
  const d = createDecipheriv("des-ede", tmk, null);
  d.setAutoPadding(false);
  const pik = Buffer.concat([d.update(v62.subarray(0, 16)), d.final()]);
  assert.is(pik.toString("hex").toUpperCase(), "0123456789ABCDEFFEDCBA9876543210");
  const d2 = createDecipheriv("des-ede", tmk, null);
  d2.setAutoPadding(false);
  const mak = Buffer.concat([d2.update(v62.subarray(20, 28)), d2.final()]);
  assert.is(mak.toString("hex").toUpperCase(), SALE_MAK_HEX);
  const e = createCipheriv("des-ede", pik, null);
  e.setAutoPadding(false);
  assert.is(Buffer.concat([e.update(new Uint8Array(8)), e.final()]).subarray(0, 4).toString("hex").toUpperCase(), bytesToHex(v62.subarray(16, 20)));
  assert.is(bytesToHex(desEncrypt(mak, new Uint8Array(8)).subarray(0, 4)), bytesToHex(v62.subarray(36, 40)));
});

test("§9 sale request (0200): packs byte for byte, MAC over exactly the 96 bytes 0200 .. before field 64 = A864ACF8", () => {
  const out = new Uint8Array(512);
  const end = packer.pack("0200", SALE_VALUES, out, BODY_OFFSET);
  writeFrameHead(out, 0, TPDU, HEADER, end - BODY_OFFSET);
  const mi = packer.macInput();
  assert.is(mi.length, 96);
  assert.is(packer.macStart, BODY_OFFSET);
  assert.is(packer.macEnd, end - 8);
  assert.is(bytesToHex(mi.subarray(0, 2)), "0200");
  assert.is(bytesToHex(mi), SALE_REQ.replace(/\s+/g, "").slice(26, 26 + 192));
  const mak = hex("3B5D7F9E1A2C4E6F");
  assert.is(cupMacReference(mak, mi), "A864ACF8", "independent MAC over node:crypto");
  const mac = computeMac("cup-ecb", mak, mi);
  assert.is(bytesToHex(mac), "4138363441434638");
  packer.writeMac(mac);
  assert.is(bytesToHex(out.subarray(0, end)), SALE_REQ.replace(/\s+/g, ""));
});

test("§9 sale request: unpacks to every field value and the same MAC range", () => {
  const wire = hex(SALE_REQ);
  const f = splitFrame(wire);
  msg.parse(wire, f.bodyOffset, f.body.length);
  assert.is(msg.mti, "0200");
  assert.equal(msg.fields(), [3, 4, 11, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64]);
  for (const n of msg.fields()) {
    if (n === 64) continue;
    const want = n === 35 ? "6222021234567890123D30121010000000000" : SALE_VALUES[n];
    assert.is(msg.getString(n), want, `field ${n}`);
  }
  assert.is(msg.getString(64), "4138363441434638");
  assert.is(bytesToHex(msg.mac()!), "4138363441434638");
  assert.is(msg.getNumber(4), 10000, "100.00 in fen");
  assert.is(msg.getNumber(22), 21, "22 left-aligned: 0210 reads 021");
  assert.is(msg.units[35], 37);
  assert.is(msg.macInput().length, 96);
  assert.is(msg.macStart, BODY_OFFSET);
  assert.is(cupMacReference(hex("3B5D7F9E1A2C4E6F"), msg.macInput()), "A864ACF8");
  const text = describe(msg);
  assert.ok(!text.includes("6222021234567890123"), "no track data in describe");
  assert.ok(!text.includes("2A084C604973D4AE"), "no PIN block in describe");
  assert.ok(!text.includes("4138363441434638"), "no MAC in describe");
  assert.match(text, /F4 +Amount, transaction \.+ 000000010000/);
  assert.match(text, /F35 +Track 2 data \.+ \[redacted, 37 digits\]/);
});

test("field 22 left-aligned (021 -> 0210), 23 right-aligned (001 -> 0001), LLVAR digits padded with a trailing 0", () => {
  const out = new Uint8Array(64);
  const end = packer.pack("0200", { 2: "6222021234567890123", 22: "021", 23: "001" }, out);
  assert.is(bytesToHex(out, 0, end), "0200" + "4000060000000000" + "19" + "62220212345678901230" + "0210" + "0001");
  msg.parse(out, 0, end);
  assert.is(msg.getString(2), "6222021234567890123");
  assert.is(msg.getString(22), "021");
  assert.is(msg.getString(23), "001");
  assert.match(describe(msg), /F2 +Primary account number \.+ 622202\*{9}0123/);
});

test("the sale fixture (test/vectors/sale.ts): packs, its MAC verifies, unpacks to the same values", () => {
  const out = new Uint8Array(1024);
  const end = packer.pack(SALE_MTI, SALE_FIELDS, out, BODY_OFFSET);
  writeFrameHead(out, 0, hex(SALE_TPDU_HEX), hex(SALE_HEADER_HEX), end - BODY_OFFSET);
  const mak = hex(SALE_MAK_HEX);
  assert.is(bytesToHex(computeMac("cup-ecb", mak, packer.macInput())), SALE_FIELDS[64]);
  assert.is(Buffer.from(cupMacReference(mak, packer.macInput()), "ascii").toString("hex").toUpperCase(), SALE_FIELDS[64]);
  const f = splitFrame(out.subarray(0, end));
  msg.parse(f.body);
  assert.equal(msg.fields(), SALE_FIELD_NUMBERS);
  for (const n of SALE_FIELD_NUMBERS) assert.is(msg.getString(n), SALE_FIELDS[n], `field ${n}`);
  assert.is(msg.units[55], FIELD55_HEX.length / 2);
  assert.is(bytesToHex(msg.getBytes(55)!), FIELD55_HEX);
  // 55 is a 3-digit BCD byte count followed by the TLV bytes.
  const off55 = msg.fieldStart[55]!;
  assert.is(bytesToHex(f.body, off55, 2), "0" + String(FIELD55_HEX.length / 2).padStart(3, "0"));
});

test("CUP field table follows §3 (format, prefix, alignment)", () => {
  // number: type, kind, length, encoding  — transcribed from spec/cup-8583.md §3 (+ §4 for 60's response maximum)
  const want: Record<number, string> = {
    2: "n LL 19 bcd", 3: "n fixed 6 bcd", 4: "n fixed 12 bcd", 11: "n fixed 6 bcd", 12: "n fixed 6 bcd", 13: "n fixed 4 bcd",
    14: "n fixed 4 bcd", 15: "n fixed 4 bcd", 22: "n fixed 3 bcd", 23: "n fixed 3 bcd", 25: "n fixed 2 bcd", 26: "n fixed 2 bcd",
    32: "n LL 11 bcd", 35: "z LL 37 bcd", 36: "z LLL 104 bcd", 37: "an fixed 12 ascii", 38: "an fixed 6 ascii", 39: "an fixed 2 ascii",
    41: "ans fixed 8 ascii", 42: "ans fixed 15 ascii", 44: "an LL 25 ascii", 48: "n LLL 322 bcd", 49: "an fixed 3 ascii",
    52: "b fixed 8 binary", 53: "n fixed 16 bcd", 54: "an LLL 20 ascii", 55: "b LLL 255 binary", 60: "n LLL 999 bcd",
    61: "n LLL 29 bcd", 62: "b LLL 999 binary", 63: "ans LLL 163 ascii", 64: "b fixed 8 binary",
  };
  const have: Record<number, string> = {};
  for (const [k, f] of Object.entries(CUP_FIELDS)) have[Number(k)] = `${f.type} ${f.kind ?? "fixed"} ${f.length} ${f.encoding}`;
  assert.equal(have, want);
  assert.is(CUP_FIELDS[22]!.align, "left");
  assert.is(CUP_FIELDS[23]!.align, "right");
  for (const n of [2, 32, 35, 36, 48, 60, 61]) assert.is(CUP_FIELDS[n]!.align, "left", `field ${n}`);
  for (const n of [2, 35, 52, 64]) assert.ok(CUP_FIELDS[n]!.redact, `field ${n} redacted in describe`);
});

test("CUP errors: secondary bitmap, unknown field, long LLVAR, non-BCD length, truncation, trailing bytes", () => {
  const body = hex(SALE_REQ).subarray(BODY_OFFSET);
  const code = (fn: () => unknown, c: string, field?: number) =>
    assert.throws(fn, (e: { code?: string; field?: number }) => e.code === c && (field === undefined || e.field === field), c);
  const withByte = (i: number, v: number) => {
    const b = body.slice();
    b[i] = v;
    return b;
  };
  code(() => msg.parse(withByte(2, 0xb0)), "E_8583_BITMAP", 1);
  code(() => msg.parse(withByte(2, 0x38)), "E_8583_UNKNOWN_FIELD", 5);
  code(() => msg.parse(withByte(0, 0x0a)), "E_8583_FIELD", 0);
  code(() => msg.parse(body.subarray(0, 5)), "E_8583_TRUNCATED", 1);
  code(() => msg.parse(body.subarray(0, body.length - 1)), "E_8583_TRUNCATED", 64);
  code(() => msg.parse(hex(SALE_REQ + "00").subarray(BODY_OFFSET)), "E_8583_LENGTH");
  // 35's length byte (offset 2+8+3+6+3+2+1+1 = 26): 38 > 37, then a non-BCD length
  assert.is(body[26], 0x37);
  code(() => msg.parse(withByte(26, 0x38)), "E_8583_LENGTH", 35);
  code(() => msg.parse(withByte(26, 0x3a)), "E_8583_LENGTH", 35);
  // a non-BCD nibble inside field 4 shows up when it is read
  msg.parse(withByte(14, 0x0c));
  code(() => msg.getString(4), "E_8583_FIELD", 4);
  assert.match(describe(msg), /F4 +Amount, transaction \.+ <invalid: E_8583_FIELD>/);
  // packing: a field the dialect lacks, a field above 64, a too-long PAN, letters in a numeric field
  const out = new Uint8Array(256);
  code(() => packer.pack("0200", { 5: "000000000001" }, out), "E_8583_UNKNOWN_FIELD", 5);
  code(() => packer.pack("0200", { 70: "001" }, out), "E_8583_UNKNOWN_FIELD", 70);
  code(() => packer.pack("0200", { 2: "62220212345678901234" }, out), "E_8583_LENGTH", 2);
  code(() => packer.pack("0200", { 4: "00000001000A" }, out), "E_8583_FIELD", 4);
  code(() => packer.pack("0200", { 41: "1000000\u4e2d" }, out), "E_8583_FIELD", 41);
  code(() => packer.pack("0200", { 64: "0011" }, out), "E_8583_LENGTH", 64);
  code(() => packer.pack("020", {}, out), "E_8583_FIELD", 0);
  code(() => packer.pack("0200", { 55: FIELD55_HEX }, new Uint8Array(40)), "E_8583_OVERFLOW", 55);
});

test("frame: split, size for stream reassembly, join, errors", () => {
  const wire = hex(SIGNIN_REQ);
  assert.is(frameSize(wire, 0, 1), -1, "needs the 2 length bytes first");
  assert.is(frameSize(wire, 0, 2), 62);
  const f = splitFrame(wire);
  assert.is(f.bodyOffset, 13);
  assert.is(f.body.length, 49);
  assert.is(bytesToHex(joinFrame(f.tpdu, f.header, f.body)), bytesToHex(wire));
  const into = new Uint8Array(100);
  assert.is(bytesToHex(joinFrame(f.tpdu, f.header, f.body, into, 7)), bytesToHex(wire));
  // two frames back to back in one read: split the first without `exact`
  const two = new Uint8Array(124);
  two.set(wire, 0);
  two.set(wire, 62);
  assert.is(splitFrame(two, 0, 124, false).size, 62);
  assert.is(bytesToHex(splitFrame(two, 62).body), bytesToHex(f.body));
  const code = (fn: () => unknown, c: string) => assert.throws(fn, (e: { code?: string }) => e.code === c, c);
  code(() => splitFrame(two), "E_8583_LENGTH");
  code(() => splitFrame(wire.subarray(0, 61)), "E_8583_TRUNCATED");
  code(() => splitFrame(wire.subarray(0, 1)), "E_8583_TRUNCATED");
  code(() => splitFrame(hex("000A60000300006031003100")), "E_8583_LENGTH");
  code(() => writeFrameHead(into, 0, hex("60000300"), HEADER, 10), "E_8583_LENGTH");
  code(() => joinFrame(TPDU, HEADER, f.body, new Uint8Array(20)), "E_8583_OVERFLOW");
});

test("fields 60 and 61: sub-fields joined and split (§4, §5)", () => {
  assert.is(joinSubfields(60, FIELD60_LAYOUT, { type: "22", batch: "000001", network: "000" }), "22000001000");
  assert.is(joinSubfields(60, FIELD60_LAYOUT, { type: "00", batch: "000001", network: "003" }), "00000001003");
  assert.is(joinSubfields(61, FIELD61_LAYOUT, { batch: "000001", trace: "000123", date: "1122" }), "0000010001231122");
  assert.equal(splitSubfields(FIELD60_LAYOUT, "22000001000"), { type: "22", batch: "000001", network: "000" });
  assert.equal(splitSubfields(FIELD60_LAYOUT, "2200000100060000012"), {
    type: "22", batch: "000001", network: "000", readCapability: "6", icCondition: "0", partial: "0", accountType: "000", rest: "12",
  });
  assert.throws(() => joinSubfields(60, FIELD60_LAYOUT, { type: "22", network: "000" }), (e: { code?: string }) => e.code === "E_8583_FIELD");
  assert.throws(() => joinSubfields(60, FIELD60_LAYOUT, { type: "2A" }), (e: { code?: string }) => e.code === "E_8583_FIELD");
  assert.throws(() => joinSubfields(61, FIELD61_LAYOUT, { batch: "1" }), (e: { code?: string; field?: number }) => e.field === 61);
});

test.run();
