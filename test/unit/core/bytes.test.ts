/** firmware/core/bytes.ts: hex, ASCII, XOR, constant-time compare, packed BCD (cross-checked with Node's Buffer). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import {
  asciiToBytes,
  bcdDecode,
  bcdDecodeNumber,
  bcdEncode,
  bcdEncodeNumber,
  bytesEqual,
  bytesToAscii,
  bytesToHex,
  concatBytes,
  constantTimeEqual,
  hexToBytes,
  readU16BE,
  readU32BE,
  writeU16BE,
  writeU32BE,
  xorInto,
} from "../../../firmware/core/bytes.ts";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
  return "nothing thrown";
};

test("hex: both cases in, upper case out; agrees with Buffer on random data", () => {
  assert.equal(Array.from(hexToBytes("00ff7Fa0")), [0x00, 0xff, 0x7f, 0xa0]);
  assert.is(bytesToHex(hexToBytes("deadBEEF")), "DEADBEEF");
  assert.is(hexToBytes("").length, 0);
  for (let n = 0; n < 600; n += 37) {
    const b = new Uint8Array(randomBytes(n));
    const h = Buffer.from(b).toString("hex");
    assert.is(bytesToHex(b), h.toUpperCase());
    assert.equal(Buffer.from(hexToBytes(h)), Buffer.from(b));
    assert.equal(Buffer.from(hexToBytes(h.toUpperCase())), Buffer.from(b));
  }
  assert.is(bytesToHex(hexToBytes("0102030405"), 1, 3), "020304");
});

test("hex: odd length, non-hex chars and out-of-range slices are typed errors", () => {
  assert.is(code(() => hexToBytes("ABC")), "E_HEX");
  assert.is(code(() => hexToBytes("0G")), "E_HEX");
  assert.is(code(() => hexToBytes("G0")), "E_HEX");
  assert.is(code(() => hexToBytes("0 ")), "E_HEX");
  assert.is(code(() => hexToBytes("@`")), "E_HEX");
  assert.is(code(() => bytesToHex(new Uint8Array(4), 3, 2)), "E_RANGE");
});

test("ascii: round trip, Latin-1 bytes, into a caller buffer, chars > 0xFF refused", () => {
  assert.equal(Array.from(asciiToBytes("hello world")), Array.from(Buffer.from("hello world", "latin1")));
  assert.is(bytesToAscii(asciiToBytes("PBOC DEBIT")), "PBOC DEBIT");
  const out = new Uint8Array(6).fill(0xee);
  assert.is(asciiToBytes("AB", out, 2), out);
  assert.is(bytesToHex(out), "EEEE4142EEEE");
  assert.is(bytesToAscii(out, 2, 2), "AB");
  const long = "x".repeat(1000) + "\u00ff";
  assert.is(bytesToAscii(asciiToBytes(long)), long);
  assert.is(code(() => asciiToBytes("银联")), "E_ASCII");
  assert.is(code(() => asciiToBytes("ABC", new Uint8Array(2))), "E_RANGE");
});

test("xorInto and constantTimeEqual", () => {
  const a = hexToBytes("0123456789ABCDEF");
  const b = hexToBytes("FFFFFFFF00000000");
  const out = new Uint8Array(10);
  xorInto(a, 0, b, 0, out, 1, 8);
  assert.is(bytesToHex(out), "00FEDCBA9889ABCDEF00");
  xorInto(a, 4, a, 4, a, 4, 4); // in place
  assert.is(bytesToHex(a), "0123456700000000");
  assert.is(code(() => xorInto(a, 4, b, 0, out, 0, 8)), "E_RANGE");
  assert.ok(constantTimeEqual(hexToBytes("3DDE5C5511661CBF"), hexToBytes("3dde5c5511661cbf")));
  assert.not.ok(constantTimeEqual(hexToBytes("3DDE5C5511661CBF"), hexToBytes("3DDE5C5511661CBE")));
  assert.not.ok(constantTimeEqual(hexToBytes("3DDE"), hexToBytes("3DDE00")));
  assert.ok(bytesEqual(concatBytes(hexToBytes("01"), hexToBytes(""), hexToBytes("0203")), hexToBytes("010203")));
});

test("big-endian integers", () => {
  const b = new Uint8Array(6);
  writeU16BE(b, 0, 0x1234);
  writeU32BE(b, 2, 0xfedcba98);
  assert.is(bytesToHex(b), "1234FEDCBA98");
  assert.is(readU16BE(b, 0), 0x1234);
  assert.is(readU32BE(b, 2), 0xfedcba98);
  assert.is(code(() => readU32BE(b, 3)), "E_RANGE");
});

test("BCD: CUP 8583 alignments (field 22 left-aligned 021->0210, field 23 right-aligned 001->0001)", () => {
  const out = new Uint8Array(4);
  assert.is(bcdEncode("021", out, 0, "left"), 2);
  assert.is(bytesToHex(out, 0, 2), "0210");
  assert.is(bcdEncode("001", out, 0, "right"), 2);
  assert.is(bytesToHex(out, 0, 2), "0001");
  assert.is(bcdDecode(hexToBytes("0210"), 0, 3, "left"), "021");
  assert.is(bcdDecode(hexToBytes("0001"), 0, 3, "right"), "001");
  // MTI, amount n12, even counts ignore alignment.
  assert.is(bcdEncode("0200", out, 0, "left"), 2);
  assert.is(bytesToHex(out, 0, 2), "0200");
  const amt = new Uint8Array(6);
  bcdEncode("000000010000", amt, 0, "right");
  assert.is(bytesToHex(amt), "000000010000");
  assert.is(bcdDecode(amt, 0, 12, "left"), "000000010000");
});

test("BCD: F padding, track separator D/= and odd PAN lengths", () => {
  const out = new Uint8Array(20);
  // Left-aligned 19-digit PAN padded with F (EMV tag 5A style).
  assert.is(bcdEncode("6222021234567890123", out, 0, "left", 15), 10);
  assert.is(bytesToHex(out, 0, 10), "6222021234567890123F");
  assert.is(bcdEncode("123", out, 0, "right", 15), 2);
  assert.is(bytesToHex(out, 0, 2), "F123");
  // Track 2 with '=' or 'D' packs the separator as nibble D.
  const n = bcdEncode("6222021234567890123=30121010000", out, 0, "left", 0, true);
  assert.is(bytesToHex(out, 0, n), "6222021234567890123D301210100000"); // 31 chars, trailing 0 nibble
  assert.is(bcdEncode("1234D5", out, 0, "left", 15, true), 3);
  assert.is(bytesToHex(out, 0, 3), "1234D5");
  assert.is(bcdDecode(hexToBytes("6222021234567890123D301210100000"), 0, 31, "left", true), "6222021234567890123D30121010000");
  assert.is(bcdDecode(hexToBytes("6222021234567890123D30121010000F"), 0, 31, "left", true), "6222021234567890123D30121010000");
});

test("BCD: bad digits and bad nibbles are E_BCD; a failed encode leaves the output untouched", () => {
  const out = new Uint8Array(4).fill(0xaa);
  assert.is(code(() => bcdEncode("12A4", out, 0, "left")), "E_BCD");
  assert.is(code(() => bcdEncode("12=4", out, 0, "left")), "E_BCD");
  assert.is(bytesToHex(out), "AAAAAAAA");
  assert.is(code(() => bcdEncode("123456789", out, 0, "left")), "E_RANGE");
  assert.is(code(() => bcdDecode(hexToBytes("12A4"), 0, 4, "left")), "E_BCD");
  assert.is(code(() => bcdDecode(hexToBytes("12D4"), 0, 4, "left")), "E_BCD");
  assert.is(code(() => bcdDecode(hexToBytes("12"), 0, 4, "left")), "E_RANGE");
  assert.is(code(() => bcdEncode("1", out, 0, "left", 7 as 0)), "E_BCD");
});

test("BCD numbers: amounts in fen, odd digit counts, overflow", () => {
  const out = new Uint8Array(6);
  assert.is(bcdEncodeNumber(12345, out, 0, 12), 6);
  assert.is(bytesToHex(out), "000000012345");
  assert.is(bcdDecodeNumber(out, 0, 12), 12345);
  assert.is(bcdEncodeNumber(999999999999, out, 0, 12), 6);
  assert.is(bcdDecodeNumber(out, 0, 12), 999999999999);
  assert.is(bcdEncodeNumber(156, out, 0, 3), 2);
  assert.is(bytesToHex(out, 0, 2), "0156");
  assert.is(bcdDecodeNumber(hexToBytes("F156"), 0, 3), 156);
  assert.is(code(() => bcdEncodeNumber(1000, out, 0, 3)), "E_BCD");
  assert.is(code(() => bcdEncodeNumber(-1, out, 0, 4)), "E_BCD");
  assert.is(code(() => bcdEncodeNumber(1.5, out, 0, 4)), "E_BCD");
  assert.is(code(() => bcdDecodeNumber(hexToBytes("1A"), 0, 2)), "E_BCD");
});

test("BCD: random round trips in every alignment and pad", () => {
  const out = new Uint8Array(16);
  for (let i = 0; i < 2000; i++) {
    const n = 1 + (i % 31);
    let s = "";
    for (let k = 0; k < n; k++) s += String((i * 7 + k * 13) % 10);
    const align = i & 1 ? "left" : "right";
    const pad = i & 2 ? 15 : 0;
    const w = bcdEncode(s, out, 0, align, pad);
    assert.is(w, (n + 1) >> 1);
    assert.is(bcdDecode(out, 0, n, align), s);
    if (n & 1) assert.is(align === "left" ? out[w - 1]! & 15 : out[0]! >> 4, pad);
  }
});

test.run();
