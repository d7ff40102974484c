/** Bytes/BCD, BER-TLV, DOL, Luhn and track 2 inside the engine: representative worked examples and error codes. */
import { test, equal, ok, hexEqual, bytesOf, throwsCode } from "./harness";
import { bcdDecode, bcdEncode, bytesToAscii, bytesToHex, constantTimeEqual, hexToBytes } from "../../firmware/core/bytes";
import { TlvCursor, TlvMap, TlvWriter } from "../../firmware/core/tlv";
import { Dol } from "../../firmware/core/dol";
import { luhnCheckDigit, luhnValid, maskPan } from "../../firmware/core/luhn";
import { parseTrack2, parseTrack2Bytes } from "../../firmware/core/track2";
import { describeTlv } from "../../firmware/emv/tag-names";
import { FIELD55_HEX } from "../vectors/field55";

const PPSE = "6F30840E325041592E5359532E4444463031A51EBF0C1B61194F08A000000333010101500A50424F43204445424954870101";

test("bytes: hex both ways, E_HEX, constant-time compare", () => {
  equal(bytesToHex(hexToBytes("00ff7Fa0")), "00FF7FA0");
  throwsCode(() => hexToBytes("ABC"), "E_HEX");
  throwsCode(() => hexToBytes("0G"), "E_HEX");
  ok(constantTimeEqual(bytesOf("3DDE5C5511661CBF"), hexToBytes("3dde5c5511661cbf")));
  ok(!constantTimeEqual(bytesOf("3DDE5C5511661CBF"), bytesOf("3DDE5C5511661CBE")));
});

test("bcd: CUP field 22 left / field 23 right, F pad, track separator, E_BCD", () => {
  const out = new Uint8Array(16);
  equal(bcdEncode("021", out, 0, "left"), 2);
  equal(bytesToHex(out, 0, 2), "0210");
  bcdEncode("001", out, 0, "right");
  equal(bytesToHex(out, 0, 2), "0001");
  const n = bcdEncode("6222021234567890123=3012101", out, 0, "left", 15, true);
  equal(bytesToHex(out, 0, n), "6222021234567890123D3012101F");
  equal(bcdDecode(out, 0, 27, "left", true), "6222021234567890123D3012101");
  throwsCode(() => bcdDecode(bytesOf("1A"), 0, 2, "left"), "E_BCD");
});

test("tlv: PPSE FCI path lookups and the cursor's depth-first walk", () => {
  const m = new TlvMap().parse(bytesOf(PPSE));
  equal(m.count, 8);
  hexEqual(m.valueAt(m.find([0x6f, 0xa5, 0xbf0c, 0x61, 0x4f])), "A000000333010101");
  equal(bytesToAscii(m.get(0x50)!), "PBOC DEBIT");
  const c = new TlvCursor().reset(bytesOf(PPSE));
  let walk = "";
  while (c.nextDeep()) walk += c.depth + ":" + c.tag.toString(16) + " ";
  equal(walk, "0:6f 1:84 1:a5 2:bf0c 3:61 4:4f 4:50 4:87 ");
});

test("tlv: field 55 into a tag map, values on demand", () => {
  const m = new TlvMap().parse(bytesOf(FIELD55_HEX));
  equal(m.count, 23);
  hexEqual(m.get(0x9f26)!, "8F2A3C7D15E6B940");
  equal(m.getUint(0x9f36), 0x123);
  equal(m.getNumeric(0x9f02), "000000012345");
  equal(m.indexOf(0x9f7a), -1);
});

test("tlv: writer long forms, nested templates, round trip", () => {
  const v = new Uint8Array(300);
  for (let i = 0; i < v.length; i++) v[i] = i & 0xff;
  const w = new TlvWriter(16);
  w.begin(0x70).begin(0xbf0c).put(0x9f4b, v).end().putHex(0x9f4c, "0102").end();
  const b = w.toBytes();
  equal(bytesToHex(b, 0, 11), "7082013BBF0C8201319F4B");
  const m = new TlvMap().parse(b);
  equal(m.valueLengthAt(m.find([0x70, 0xbf0c, 0x9f4b])), 300);
  hexEqual(m.valueAt(m.find([0x70, 0x9f4c])), "0102");
});

test("tlv: padding and unknown tags kept; malformed input is a typed error", () => {
  const m = new TlvMap().parse(bytesOf("00009F270180FF" + "7005DF7F01AA00" + "00"));
  equal(m.count, 3);
  hexEqual(m.get(0xdf7f)!, "AA");
  throwsCode(() => new TlvMap().parse(bytesOf("9F260811223344")), "E_TLV_TRUNCATED");
  throwsCode(() => new TlvMap().parse(bytesOf("5A80")), "E_TLV_BAD_LENGTH");
  throwsCode(() => new TlvMap().parse(bytesOf("DF81818101AA")), "E_TLV_BAD_TAG");
  throwsCode(() => new TlvMap().parse(bytesOf("70137011700F700D700B7009700770057003700100")), "E_TLV_TOO_DEEP");
});

test("dol: CDOL1 data with EMV fitting (n left-padded/truncated, b right, absent zeros)", () => {
  const f55 = new TlvMap().parse(bytesOf(FIELD55_HEX));
  const dol = new Dol().parse(bytesOf("9F02049F10029F37069F7A01"));
  hexEqual(dol.buildBytes(f55), "00012345" + "0701" + "5D3A91C40000" + "00");
});

test("luhn, masking and track 2", () => {
  ok(luhnValid("79927398713"));
  equal(luhnCheckDigit("7992739871"), 3);
  equal(maskPan("6222021234567890123"), "622202*********0123");
  const t = parseTrack2(";6222021234567890123=30121010000?");
  equal(t.expiry + "/" + t.serviceCode + "/" + t.discretionary, "3012/101/0000");
  equal(parseTrack2Bytes(bytesOf("6222021234567890123D301210112345678F")).discretionary, "12345678");
  throwsCode(() => parseTrack2("6222021234567890123=3013101"), "E_TRACK2_EXPIRY");
});

test("tag names: describeTlv dump", () => {
  const lines = describeTlv(bytesOf("9F2701809F1E083132333435363738"));
  equal(lines[0], "9F27 Cryptogram Information Data [1] 80");
  equal(lines[1], '9F1E Interface Device (IFD) Serial Number [8] 3132333435363738 "12345678"');
});
