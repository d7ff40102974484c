/**
 * The ISO 8583 codec on its own: every field type and length kind against hand-written wire bytes, round trips,
 * secondary bitmap and MAC range, the plain ISO 8583:1987 ASCII dialect, typed errors, lazy reads, describe.
 * (The CUP dialect and the §9 worked example: test/unit/cup/fields.test.ts.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Iso8583Message, Iso8583Packer, compileSpec, describe, packToBytes, type FieldValue, type FieldValues, type MessageSpec } from "../../../firmware/core/iso8583.ts";
import { ISO8583_1987_ASCII, ISO8583_1987_ASCII_BINARY_BITMAP } from "../../../firmware/core/iso8583-ascii87.ts";
import { bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";

const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex").toUpperCase();

/** A dialect with one field of each kind (binary bitmap, BCD MTI, BCD prefixes unless told). */
const T: MessageSpec = {
  name: "test dialect",
  mti: "bcd",
  bitmap: "binary",
  secondaryBitmap: true,
  prefixEncoding: "bcd",
  fields: {
    2: { name: "n LL bcd left pad 0", type: "n", length: 19, kind: "LL", encoding: "bcd", align: "left", redact: "pan" },
    3: { name: "n6 bcd", type: "n", length: 6, encoding: "bcd" },
    4: { name: "n5 bcd right pad F", type: "n", length: 5, encoding: "bcd", pad: "F" },
    5: { name: "n5 bcd left pad F", type: "n", length: 5, encoding: "bcd", align: "left", pad: "F" },
    6: { name: "n LLL bcd counts bytes pad F", type: "n", length: 40, kind: "LLL", encoding: "bcd", align: "left", pad: "F", counts: "bytes" },
    7: { name: "n LL ascii, ascii prefix", type: "n", length: 11, kind: "LL", encoding: "ascii", prefix: "ascii" },
    8: { name: "n4 ascii", type: "n", length: 4, encoding: "ascii" },
    9: { name: "z LL bcd pad F", type: "z", length: 37, kind: "LL", encoding: "bcd", align: "left", pad: "F", redact: "all" },
    10: { name: "z LLL ascii", type: "z", length: 104, kind: "LLL", encoding: "ascii", prefix: "ascii" },
    11: { name: "an6", type: "an", length: 6, encoding: "ascii" },
    12: { name: "ans10 right-aligned 0 fill", type: "ans", length: 10, encoding: "ascii", align: "right", pad: "0" },
    13: { name: "an LL ascii, bcd prefix", type: "an", length: 25, kind: "LL", encoding: "ascii" },
    14: { name: "ans LLL binary prefix", type: "ans", length: 300, kind: "LLL", encoding: "ascii", prefix: "binary" },
    15: { name: "b4 binary", type: "b", length: 4, encoding: "binary" },
    16: { name: "b4 hex", type: "b", length: 4, encoding: "hex" },
    17: { name: "b LL binary", type: "b", length: 50, kind: "LL", encoding: "binary" },
    18: { name: "b LLL hex ascii prefix counting bytes", type: "b", length: 200, kind: "LLL", encoding: "hex", prefix: "ascii", counts: "bytes" },
    19: { name: "b LL hex units", type: "b", length: 40, kind: "LL", encoding: "hex", prefix: "ascii" },
    20: { name: "n LL binary prefix", type: "n", length: 99, kind: "LL", encoding: "bcd", prefix: "binary", align: "left" },
    64: { name: "MAC 64", type: "b", length: 8, encoding: "binary", redact: "all" },
    70: { name: "n3 secondary", type: "n", length: 3, encoding: "bcd" },
    100: { name: "n LL secondary", type: "n", length: 11, kind: "LL", encoding: "bcd", align: "left" },
    128: { name: "MAC 128", type: "b", length: 8, encoding: "binary", redact: "all" },
  },
};

const packer = new Iso8583Packer(T);
const msg = new Iso8583Message(T);

/** Bitmap hex for a set of field numbers, computed here independently of the codec. */
function bitmapHex(fields: number[]): string {
  const bm = new Array<number>(fields.some((f) => f > 64) ? 16 : 8).fill(0);
  if (bm.length === 16) bm[0] |= 0x80;
  for (const f of fields) bm[(f - 1) >> 3] |= 0x80 >> ((f - 1) % 8);
  return bm.map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

const code = (fn: () => unknown, c: string, field?: number) =>
  assert.throws(fn, (e: { code?: string; field?: number }) => e.code === c && (field === undefined || e.field === field), `${c} ${field ?? ""}`);

// field, value to pack, wire bytes of the field (prefix + data), value read back (default: the packed value)
const CASES: Array<[number, string | Uint8Array | number, string, string?]> = [
  [2, "4761739001010119", "16" + "4761739001010119"],
  [2, "622202123456789012", "18" + "622202123456789012"],
  [2, "6222021234567890123", "19" + "62220212345678901230"],
  [2, "", "00"],
  [3, "000123", "000123"],
  [3, "123", "000123", "000123"], // numeric: leading zeros
  [3, 123, "000123", "000123"],
  [4, "12345", "F12345"],
  [5, "12345", "12345F"],
  [6, "12345", "0003" + "12345F"],
  [6, "1234", "0002" + "1234"],
  [7, "12345", ascii("05") + ascii("12345")],
  [7, 12345, ascii("05") + ascii("12345"), "12345"],
  [8, "0042", ascii("0042")],
  [8, "42", ascii("0042"), "0042"],
  [9, "4761739001010119D22122011143804400000", "37" + "4761739001010119D22122011143804400000F"],
  [9, "4761739001010119=2212", "21" + "4761739001010119D2212F", "4761739001010119D2212"],
  [10, "4761739001010119=2212", ascii("021") + ascii("4761739001010119=2212")],
  [10, "4761739001010119D2212", ascii("021") + ascii("4761739001010119=2212"), "4761739001010119=2212"],
  [11, "AB12 z", ascii("AB12 z")],
  [11, "AB1", ascii("AB1   "), "AB1   "],
  [12, "x-1", ascii("0000000x-1"), "0000000x-1"],
  [12, new Uint8Array([0x41, 0xb0, 0xa1]), ascii("0000000A") + "B0A1", "0000000A\u00b0\u00a1"],
  [13, "HELLO 25", "08" + ascii("HELLO 25")],
  [14, "x".repeat(260), "0104" + ascii("x".repeat(260))],
  [15, "DEADBEEF", "DEADBEEF"],
  [15, new Uint8Array([1, 2, 3, 4]), "01020304", "01020304"],
  [16, "deadbeef", ascii("DEADBEEF"), "DEADBEEF"],
  [17, "0102030405", "05" + "0102030405"],
  [17, new Uint8Array(0), "00", ""],
  [18, "A1B2C3", ascii("006") + ascii("A1B2C3")],
  [19, "A1B2C3", ascii("03") + ascii("A1B2C3")],
  [20, "123", "03" + "1230"],
];

test("every field type and length kind: exact wire bytes, and back", () => {
  const out = new Uint8Array(1024);
  for (const [n, value, wire, back] of CASES) {
    const end = packer.pack("0200", { [n]: value }, out, 3);
    const what = `field ${n} value ${String(value).slice(0, 40)}`;
    assert.is(bytesToHex(out, 3, end - 3), "0200" + bitmapHex([n]) + wire, what);
    msg.parse(out, 3, end - 3);
    assert.equal(msg.fields(), [n], what);
    const want = back ?? (typeof value === "string" ? (T.fields[n]!.type === "b" ? value.toUpperCase() : value) : String(value));
    assert.is(msg.getString(n), want, what);
    assert.is(msg.fieldStart[n], 3 + 2 + 8, what);
  }
});

test("all fields together, in ascending order, with secondary bitmap; MAC range ends before field 128", () => {
  const values: FieldValues = {};
  const wires: Record<number, string> = {};
  for (const [n, value, wire] of CASES) {
    if (values[n] === undefined) {
      (values as Record<number, FieldValue>)[n] = value;
      wires[n] = wire;
    }
  }
  Object.assign(values, { 64: undefined, 70: "7", 100: "12345678901", 128: "0000000000000000" });
  Object.assign(wires, { 70: "0007", 100: "11" + "123456789010", 128: "0000000000000000" });
  const nums = Object.keys(wires).map(Number).sort((a, b) => a - b);
  const expect = "0800" + bitmapHex(nums) + nums.map((n) => wires[n]).join("");
  const bytes = packToBytes(packer, "0800", values);
  assert.is(bytesToHex(bytes), expect);
  assert.is(bytes[2]! & 0x80, 0x80, "bit 1: secondary bitmap");
  msg.parse(bytes);
  assert.equal(msg.fields(), nums);
  assert.is(msg.getString(100), "12345678901");
  assert.is(msg.macInput().length, bytes.length - 8);
  assert.is(packer.macEnd, bytes.length - 8);
  packer.writeMac(hexToBytes("0102030405060708"));
  assert.is(bytesToHex(packer.buffer, packer.macEnd, 8), "0102030405060708");
  // without field 128 the MAC field is 64
  const b2 = packToBytes(packer, "0200", { 3: "1", 64: new Uint8Array(8) });
  msg.parse(b2);
  assert.is(msg.macInput().length, 2 + 8 + 3);
});

test("a reused parser and packer: the second message replaces the first, views see the buffer", () => {
  const out = new Uint8Array(256);
  const e1 = packer.pack("0200", { 2: "4761739001010119", 3: "000001", 17: "AABB" }, out);
  msg.parse(out, 0, e1);
  const v = msg.getBytes(17)!;
  assert.is(bytesToHex(v), "AABB");
  out[msg.dataStart[17]!] = 0xcc;
  assert.is(bytesToHex(v), "CCBB", "a view follows the buffer");
  const c = msg.getBytes(17, true)!;
  out[msg.dataStart[17]!] = 0xdd;
  assert.is(bytesToHex(c), "CCBB", "a copy does not");
  const e2 = packer.pack("0210", { 3: "000002" }, out);
  msg.parse(out, 0, e2);
  assert.is(msg.mti, "0210");
  assert.ok(!msg.has(2) && !msg.has(17) && msg.has(3));
  assert.is(msg.getString(2), undefined);
  assert.is(msg.getBytes(17), undefined);
  assert.is(msg.getNumber(3), 2);
  // a failed parse leaves nothing readable
  code(() => msg.parse(out, 0, 3), "E_8583_TRUNCATED");
  assert.ok(!msg.has(3));
});

test("getNumber: fixed and variable numerics, both alignments", () => {
  const b = packToBytes(packer, "0200", { 2: "1234567", 3: 999999, 4: "00042", 5: "12345", 8: "0007" });
  msg.parse(b);
  assert.is(msg.getNumber(2), 1234567);
  assert.is(msg.getNumber(3), 999999);
  assert.is(msg.getNumber(4), 42);
  assert.is(msg.getNumber(5), 12345);
  assert.is(msg.getNumber(8), 7);
  assert.is(msg.getNumber(15), undefined, "absent");
  msg.parse(packToBytes(packer, "0200", { 15: "01020304", 2: "12345678901234567" }));
  code(() => msg.getNumber(15), "E_8583_FIELD", 15);
  code(() => msg.getNumber(2), "E_8583_FIELD", 2); // 17 digits exceed a safe integer
});

test("ISO 8583:1987 ASCII: hex bitmap, ASCII MTI and lengths, b as hex, secondary bitmap", () => {
  const p = new Iso8583Packer(ISO8583_1987_ASCII);
  const m = new Iso8583Message(ISO8583_1987_ASCII);
  const values: FieldValues = {
    2: "4761739001010119",
    3: "000000",
    4: "000000001000",
    7: "1122093015",
    11: "000123",
    35: "4761739001010119=22122011143804400000",
    41: "TERM0001",
    42: "MERCHANT1234567",
    49: "840",
    52: "0123456789ABCDEF",
    55: "ICC",
    64: new Uint8Array(8),
  };
  const b = packToBytes(p, "0200", values);
  const expected =
    "0200" + "7220000020C09201" + "164761739001010119" + "000000" + "000000001000" + "1122093015" + "000123" +
    "374761739001010119=22122011143804400000" + "TERM0001" + "MERCHANT1234567" + "840" + "0123456789ABCDEF" + "003ICC" + "0000000000000000";
  assert.is(Buffer.from(b).toString("latin1"), expected);
  assert.is(bitmapHex([2, 3, 4, 7, 11, 35, 41, 42, 49, 52, 55, 64]), "7220000020C09201");
  m.parse(b);
  for (const n of [2, 3, 4, 7, 11, 35, 41, 42, 49, 52, 55]) assert.is(m.getString(n), values[n] as string, `field ${n}`);
  assert.is(bytesToHex(m.getBytes(52)!), "0123456789ABCDEF");
  assert.is(m.macInput().length, b.length - 16, "MAC input ends before the 16 hex chars of field 64");
  p.writeMac(hexToBytes("A1B2C3D4E5F60718"));
  assert.ok(Buffer.from(b).toString("latin1").endsWith("003ICC0000000000000000"), "packToBytes returned a copy");
  assert.is(Buffer.from(p.buffer.subarray(p.start, p.end)).toString("latin1").slice(-16), "A1B2C3D4E5F60718");
  assert.match(describe(m), /F2 +Primary account number \.+ 476173\*{6}0119/);
  // network management 0800 with field 70 (secondary bitmap)
  const nm = packToBytes(p, "0800", { 7: "1122093015", 11: "000001", 70: "301" });
  assert.is(Buffer.from(nm).toString("latin1"), "0800" + "8220000000000000" + "0400000000000000" + "1122093015" + "000001" + "301");
  m.parse(nm);
  assert.equal(m.fields(), [7, 11, 70]);
  assert.is(m.getString(70), "301");
  // the binary-bitmap variant
  const pb = new Iso8583Packer(ISO8583_1987_ASCII_BINARY_BITMAP);
  const nb = packToBytes(pb, "0800", { 7: "1122093015", 11: "000001", 70: "301" });
  assert.is(bytesToHex(nb), ascii("0800") + "82200000000000000400000000000000" + ascii("1122093015000001301"));
  const mb = new Iso8583Message(ISO8583_1987_ASCII_BINARY_BITMAP).parse(nb);
  assert.is(mb.getString(70), "301");
  // errors specific to ASCII
  code(() => m.parse(Buffer.from("0800822000000000000G")), "E_8583_BITMAP", 1);
  code(() => m.parse(Buffer.from("08A0")), "E_8583_FIELD", 0);
  code(() => m.parse(Buffer.from("02004000000000000000" + "1A4761")), "E_8583_LENGTH", 2);
  code(() => m.parse(Buffer.from("02004000000000000000" + "204761739001010119000000")), "E_8583_LENGTH", 2);
  m.parse(Buffer.from("02002000000000000000" + "00012A"));
  code(() => m.getString(3), "E_8583_FIELD", 3);
  code(() => p.pack("0200", { 3: "00012A" }, new Uint8Array(64)), "E_8583_FIELD", 3);
  code(() => p.pack("0200", { 39: "0@" }, new Uint8Array(64)), "E_8583_FIELD", 39);
});

test("typed errors on malformed input", () => {
  const good = packToBytes(packer, "0200", { 2: "4761739001010119", 14: "ABC", 17: "0102", 70: "1" });
  msg.parse(good);
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => msg.parse(good, 0, cut), (e: { code?: string }) => e.code === "E_8583_TRUNCATED", `cut at ${cut}`);
  }
  code(() => msg.parse(good, 0, good.length + 1), "E_8583_TRUNCATED");
  const at = (i: number, v: number) => {
    const b = good.slice();
    b[i] = v;
    return b;
  };
  // layout: MTI 0-1, bitmaps 2-17, field 2 prefix at 18
  code(() => msg.parse(at(18, 0x1a)), "E_8583_LENGTH", 2);
  code(() => msg.parse(at(18, 0x20)), "E_8583_LENGTH", 2);
  assert.is(good[4], 0x80, "bitmap byte of fields 17..24");
  code(() => msg.parse(at(4, 0x88)), "E_8583_UNKNOWN_FIELD", 21);
  code(() => msg.parse(at(2, 0x40)), "E_8583_LENGTH"); // no secondary bitmap: its 8 bytes are read as fields -> garbage
  code(() => msg.parse(at(0, 0xf2)), "E_8583_FIELD", 0);
});

test("bitmap bits for fields the spec lacks, and specs the compiler refuses", () => {
  const b = packToBytes(packer, "0200", { 3: "1" });
  b[2] = 0x30 | 0x08; // fields 3, 4 and 5: fine ... then field 5 absent data -> truncated
  code(() => msg.parse(b), "E_8583_TRUNCATED");
  const c = packToBytes(packer, "0200", { 3: "1" });
  c[4] = 0x01; // field 24: not in the test dialect
  code(() => msg.parse(c), "E_8583_UNKNOWN_FIELD", 24);
  const bad = (fields: MessageSpec["fields"], extra: Partial<MessageSpec> = {}) => () => compileSpec({ ...T, ...extra, fields });
  code(bad({ 2: { name: "x", type: "b", length: 4, encoding: "bcd" } }), "E_8583_SPEC", 2);
  code(bad({ 2: { name: "x", type: "an", length: 4, encoding: "bcd" } }), "E_8583_SPEC", 2);
  code(bad({ 2: { name: "x", type: "n", length: 100, kind: "LL", encoding: "bcd" } }), "E_8583_SPEC", 2);
  code(bad({ 2: { name: "x", type: "n", length: 5, encoding: "bcd", pad: " " } }), "E_8583_SPEC", 2);
  code(bad({ 1: { name: "x", type: "b", length: 8, encoding: "binary" } }), "E_8583_SPEC", 1);
  code(bad({ 70: { name: "x", type: "n", length: 3, encoding: "bcd" } }, { secondaryBitmap: false }), "E_8583_SPEC", 70);
  code(bad({ 2: { name: "x", type: "n", length: 0, encoding: "bcd" } }), "E_8583_SPEC", 2);
});

test("typed errors on packing", () => {
  const out = new Uint8Array(64);
  code(() => packer.pack("0200", { 21: "1" }, out), "E_8583_UNKNOWN_FIELD", 21);
  code(() => packer.pack("0200", { 1: "00" }, out), "E_8583_FIELD", 1);
  code(() => packer.pack("02x0", {}, out), "E_8583_FIELD", 0);
  code(() => packer.pack("0200", { 3: "1234567" }, out), "E_8583_LENGTH", 3);
  code(() => packer.pack("0200", { 3: -1 }, out), "E_8583_FIELD", 3);
  code(() => packer.pack("0200", { 3: 1.5 }, out), "E_8583_FIELD", 3);
  code(() => packer.pack("0200", { 3: new Uint8Array(3) }, out), "E_8583_FIELD", 3);
  code(() => packer.pack("0200", { 9: "4761=22=x" }, out), "E_8583_FIELD", 9);
  code(() => packer.pack("0200", { 10: "4761=22x" }, out), "E_8583_FIELD", 10);
  code(() => packer.pack("0200", { 11: "AB-1" }, out), "E_8583_FIELD", 11);
  code(() => packer.pack("0200", { 11: "ABCDEFG" }, out), "E_8583_LENGTH", 11);
  code(() => packer.pack("0200", { 12: "\u0001" }, out), "E_8583_FIELD", 12);
  code(() => packer.pack("0200", { 15: "0102" }, out), "E_8583_LENGTH", 15);
  code(() => packer.pack("0200", { 15: "0102030" }, out), "E_8583_FIELD", 15);
  code(() => packer.pack("0200", { 15: "GG020304" }, out), "E_8583_FIELD", 15);
  code(() => packer.pack("0200", { 11: 5 }, out), "E_8583_FIELD", 11);
  code(() => packer.pack("0200", { 3: {} as unknown as string }, out), "E_8583_FIELD", 3);
  code(() => packer.pack("0200", { 17: new Uint8Array(51) }, out), "E_8583_LENGTH", 17);
  code(() => packer.pack("0200", { 14: "x".repeat(100) }, out), "E_8583_OVERFLOW", 14);
  code(() => packer.pack("0200", {}, new Uint8Array(9)), "E_8583_OVERFLOW");
  code(() => packer.pack("0200", {}, out, -1), "E_8583_OVERFLOW");
  packer.pack("0200", { 3: "1" }, out);
  code(() => packer.macInput(), "E_8583_FIELD");
  code(() => packer.writeMac(new Uint8Array(8)), "E_8583_FIELD");
  packer.pack("0200", { 64: new Uint8Array(8) }, out);
  code(() => packer.writeMac(new Uint8Array(4)), "E_8583_LENGTH", 64);
});

test("describe: names, masked PAN, hidden track/MAC, text quoted, invalid content reported", () => {
  const b = packToBytes(packer, "0200", { 2: "4761739001010119", 9: "4761739001010119D2212", 11: "AB1", 15: "DEADBEEF", 64: "0102030405060708" });
  msg.parse(b);
  const d = describe(msg);
  assert.match(d, /^test dialect message\nMTI \.+ 0200\nBitmap \.+ 40A2000000000001\n/);
  assert.match(d, /F2 +n LL bcd left pad 0 \.+ 476173\*{6}0119/);
  assert.match(d, /F9 +z LL bcd pad F \.+ \[redacted, 21 digits\]/);
  assert.match(d, /F11 +an6 \.+ "AB1   "/);
  assert.match(d, /F15 +b4 binary \.+ DEADBEEF/);
  assert.match(d, /F64 +MAC 64 \.+ \[redacted, 8 bytes\]/);
  assert.not.match(d, /4761739001010119/);
  assert.not.match(d, /0102030405060708/);
  // short PANs are hidden entirely
  msg.parse(packToBytes(packer, "0200", { 2: "1234567890" }));
  assert.match(describe(msg), /F2 .+ \*{10}$/m);
});

test.run();
