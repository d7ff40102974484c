/**
 * The ISO 8583 codec and CUP framing inside the engine: the §9 worked example of spec/cup-8583.md (sign-in
 * request and response, sale with its MAC), the ASCII 1987 dialect, typed errors
 * (test/unit/core/iso8583.test.ts and test/unit/cup/fields.test.ts hold the full set).
 */
import { test, equal, ok, hexEqual, bytesOf, hexOf, throwsCode } from "./harness";
import { Iso8583Message, Iso8583Packer, describe, packToBytes } from "../../firmware/core/iso8583";
import { ISO8583_1987_ASCII } from "../../firmware/core/iso8583-ascii87";
import { CUP_SPEC } from "../../firmware/cup/fields";
import { BODY_OFFSET, splitFrame, writeFrameHead } from "../../firmware/cup/frame";
import { computeMac } from "../../firmware/core/mac";

const H = (s: string) => bytesOf(s.replace(/\s+/g, ""));
const TPDU = H("6000030000");
const HEADER = H("603100310001");
const SIGNIN_REQ = "003C 6000030000 603100310001 0800 0020000000C00012 000001 3130303030303031 383938313030303132333435363738 0011 000000010030 0003 303031";
const SIGNIN_RESP =
  "0079 6000000003 603100310001 0810 003800010AC00014 000001 093015 1122 08 48020000 303933303135303030303031 3030 3130303030303031 383938313030303132333435363738 0011 000000010030 0040 CB4AB541CD5AD4FC256A882726936A5A 08D7B4FB DA64B6170F346167 0000000000000000 FC11AEF3";
const SALE_REQ =
  "0073 6000030000 603100310001 0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0 3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000 4138363441434638";

const packer = new Iso8583Packer(CUP_SPEC);
const msg = new Iso8583Message(CUP_SPEC);
const out = new Uint8Array(512);

test("8583: §9 sign-in request packs to the spec's 62 bytes", () => {
  const end = packer.pack("0800", { 11: "000001", 41: "10000001", 42: "898100012345678", 60: "00000001003", 63: "001" }, out, BODY_OFFSET);
  writeFrameHead(out, 0, TPDU, HEADER, end - BODY_OFFSET);
  hexEqual(out.subarray(0, end), SIGNIN_REQ);
});

test("8583: §9 sign-in response parses to its field values", () => {
  const f = splitFrame(H(SIGNIN_RESP));
  msg.parse(f.body);
  equal(msg.mti, "0810");
  equal(msg.fields().join(","), "11,12,13,32,37,39,41,42,60,62");
  equal(msg.getString(12), "093015");
  equal(msg.getString(32), "48020000");
  equal(msg.getString(37), "093015000001");
  equal(msg.getString(39), "00");
  equal(msg.getString(60), "00000001003");
  hexEqual(msg.getBytes(62)!, "CB4AB541CD5AD4FC256A882726936A5A08D7B4FBDA64B6170F3461670000000000000000FC11AEF3");
});

test("8583: §9 sale packs byte for byte, MAC over the 96 bytes = A864ACF8", () => {
  const end = packer.pack(
    "0200",
    {
      3: "000000", 4: "000000010000", 11: "000123", 22: "021", 25: "00", 26: "06", 35: "6222021234567890123=30121010000000000",
      41: "10000001", 42: "898100012345678", 49: "156", 52: "2A084C604973D4AE", 53: "2600000000000000", 60: "22000001000", 64: "0000000000000000",
    },
    out,
    BODY_OFFSET,
  );
  writeFrameHead(out, 0, TPDU, HEADER, end - BODY_OFFSET);
  equal(packer.macInput().length, 96, "MAC input");
  equal(packer.macStart, BODY_OFFSET);
  const mac = computeMac("cup-ecb", H("3B5D7F9E1A2C4E6F"), packer.macInput());
  hexEqual(mac, "4138363441434638");
  packer.writeMac(mac);
  hexEqual(out.subarray(0, end), SALE_REQ);
  msg.parse(out, BODY_OFFSET, end - BODY_OFFSET);
  equal(msg.getString(35), "6222021234567890123D30121010000000000");
  equal(msg.getString(22), "021");
  equal(msg.getNumber(4), 10000);
  equal(msg.macInput().length, 96);
  const d = describe(msg);
  ok(d.indexOf("6222021234567890123") < 0 && d.indexOf("[redacted, 37 digits]") > 0, "track hidden in describe");
});

test("8583: ISO 1987 ASCII round trip with a secondary bitmap", () => {
  const p = new Iso8583Packer(ISO8583_1987_ASCII);
  const b = packToBytes(p, "0800", { 7: "1122093015", 11: "000001", 70: "301" });
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  equal(s, "080082200000000000000400000000000000" + "1122093015000001301");
  const m = new Iso8583Message(ISO8583_1987_ASCII).parse(b);
  equal(m.getString(70), "301");
  equal(m.getString(7), "1122093015");
});

test("8583: typed errors (bitmap, unknown field, length, truncation, field content, overflow)", () => {
  const body = H(SALE_REQ).subarray(BODY_OFFSET);
  const at = (i: number, v: number) => {
    const b = body.slice();
    b[i] = v;
    return b;
  };
  throwsCode(() => msg.parse(at(2, 0xb0)), "E_8583_BITMAP");
  throwsCode(() => msg.parse(at(2, 0x38)), "E_8583_UNKNOWN_FIELD");
  throwsCode(() => msg.parse(at(26, 0x38)), "E_8583_LENGTH");
  throwsCode(() => msg.parse(body.subarray(0, body.length - 1)), "E_8583_TRUNCATED");
  msg.parse(at(14, 0x0c));
  throwsCode(() => msg.getString(4), "E_8583_FIELD");
  throwsCode(() => packer.pack("0200", { 2: "62220212345678901234" }, out), "E_8583_LENGTH");
  throwsCode(() => packer.pack("0200", { 55: new Uint8Array(100) }, new Uint8Array(50)), "E_8583_OVERFLOW");
  equal(hexOf(msg.getBytes(3)!), "000000");
});
