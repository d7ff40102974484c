/** ISO 9564-1 PIN blocks 0-4: published vectors, node:crypto AES cross-checks, round trips and typed errors. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from "node:crypto";
import {
  buildIso4PinField,
  buildPinBlock,
  decipherIso4,
  decipherIso4PinField,
  encipherIso4,
  encipherIso4PinField,
  iso4PanField,
  panField,
  parseIso4PinField,
  parsePinBlock,
} from "../../../firmware/core/pinblock.ts";
import { bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { H, hex, throwsCode } from "../../support.ts";

const nodeRandom = (into: Uint8Array) => into.set(randomBytes(into.length));
const constant = (v: number) => (into: Uint8Array) => into.fill(v);

function aesEcb(key: Uint8Array, block: Uint8Array, decrypt = false): Buffer {
  const name = `aes-${key.length * 8}-ecb`;
  const c = decrypt ? createDecipheriv(name, key, null) : createCipheriv(name, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}
const digits = (n: number) => Array.from({ length: n }, () => String(randomInt(10))).join("");

test("format 0: vectors.md (PAN 5555555551234567), spec §9 (PAN 6222021234567890123), X9.24-1 A.4 (PAN 4012345678909)", () => {
  assert.is(hex(panField("5555555551234567")), "0000555555123456");
  assert.is(hex(buildPinBlock(0, "1234", "5555555551234567")), "041261AAAAEDCBA9");
  assert.is(hex(buildPinBlock(0, "123456789012", "5555555551234567")), "0C1261032D8226A9");
  assert.is(hex(buildPinBlock(0, "123456", "6222021234567890123")), "06122662A9876FED");
  assert.is(hex(buildPinBlock(0, "1234", "4012345678909")), "041274EDCBA9876F");
  assert.is(parsePinBlock(0, H("041261AAAAEDCBA9"), "5555555551234567"), "1234");
  assert.is(parsePinBlock(0, H("0C1261032D8226A9"), "5555555551234567"), "123456789012");
  assert.is(parsePinBlock(0, H("06122662A9876FED"), "6222021234567890123"), "123456");
  // a short PAN (fewer than 12 digits before the check digit) is left-padded with zeros
  assert.is(hex(panField("123456789")), "0000000012345678");
});

test("format 2: vectors.md ('1234' -> 241234FFFFFFFFFF), parse checks the F fill", () => {
  assert.is(hex(buildPinBlock(2, "1234")), "241234FFFFFFFFFF");
  assert.is(hex(buildPinBlock(2, "123456789012")), "2C123456789012FF");
  assert.is(parsePinBlock(2, H("241234FFFFFFFFFF")), "1234");
  throwsCode(() => parsePinBlock(2, H("241234FFFFFFFFFE")), "E_PIN_FILL");
});

test("format 3: vectors.md (341261 + random fill), fill digits A-F from the caller's random", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const b = buildPinBlock(3, "1234", "5555555551234567", nodeRandom);
    assert.is(hex(b).slice(0, 6), "341261");
    const clear = Uint8Array.from(b);
    const pf = panField("5555555551234567");
    for (let j = 0; j < 8; j++) clear[j]! ^= pf[j]!;
    for (let p = 6; p < 16; p++) {
      const v = p & 1 ? clear[p >> 1]! & 15 : clear[p >> 1]! >> 4;
      assert.ok(v >= 10 && v <= 15, `fill nibble ${v}`);
      seen.add(v);
    }
    assert.is(parsePinBlock(3, b, "5555555551234567"), "1234");
  }
  assert.is(seen.size, 6, "all of A-F appear");
  // deterministic: random bytes 0x00 -> fill 'A' (10 + 0 % 6)
  assert.is(hex(buildPinBlock(3, "1234", "5555555551234567", constant(0))), hex(H("341234AAAAAAAAAA").map((v, i) => v ^ panField("5555555551234567")[i]!)));
  // a source that only yields unusable bytes (>= 252) is refused
  throwsCode(() => buildPinBlock(3, "1234", "5555555551234567", constant(0xff)), "E_PIN_RANDOM");
  throwsCode(() => parsePinBlock(3, H("041261AAAAEDCBA9"), "5555555551234567"), "E_PIN_FORMAT");
});

test("format 1: random fill 0-F, no PAN", () => {
  const b = buildPinBlock(1, "98765", undefined, constant(0x5a));
  assert.is(hex(b), "1598765AAAAAAAAA", "random bytes 0x5A give fill nibbles A");
  for (let i = 0; i < 50; i++) {
    const pin = digits(4 + randomInt(9));
    assert.is(parsePinBlock(1, buildPinBlock(1, pin, undefined, nodeRandom)), pin);
  }
});

test("format 4 PIN and PAN fields: vectors.md, X9.24-3 (PAN 4111111111111111), short and 19-digit PANs", () => {
  const f = buildIso4PinField("1234", constant(0xff));
  assert.is(hex(f), "441234AAAAAAAAAAFFFFFFFFFFFFFFFF");
  assert.is(parseIso4PinField(f), "1234");
  assert.is(hex(iso4PanField("4111111111111111")), "44111111111111111000000000000000");
  assert.is(hex(iso4PanField("1234567890123456789")), "71234567890123456789000000000000");
  assert.is(hex(iso4PanField("432198765432109870")), "64321987654321098700000000000000");
  assert.is(hex(iso4PanField("123456789012")), "01234567890120000000000000000000");
  assert.is(hex(iso4PanField("12345678901")), "00123456789010000000000000000000");
  throwsCode(() => parseIso4PinField(H("441234AAAAAAAAABFFFFFFFFFFFFFFFF")), "E_PIN_FILL");
});

test("format 4 decipher: ep2 vector (K C1D0..EF0D, PAN 432198765432109870 -> 1234)", () => {
  assert.is(decipherIso4(H("C1D0F8FB4958670DBA40AB1F3752EF0D"), H("CC17F65586BFD0953010226C4FC5B3CA"), "432198765432109870"), "1234");
});

test("format 4 encipher: [psec] deterministic vector (random FF) and X9.24-3 PIN block with its published PIN key", () => {
  const k = H("00112233445566778899AABBCCDDEEFF");
  assert.is(hex(encipherIso4(k, "1234", "1234567890123456789", constant(0xff))), "28B41FDDD29B743E93124BD8E32D921E");
  // X9.24-3:2017 supplement: PIN field 441234AAAAAAAAAA2F69ADDE2E9E7ACE, PAN 4111111111111111, AES-128
  // PIN key of KSN 123456789012345600000001 -> A912150391AB65A67E52883D81CE2D15
  const pinKey = H("AF8CB133A78F8DC2D1359F18527593FB");
  const block = encipherIso4PinField(pinKey, H("441234AAAAAAAAAA2F69ADDE2E9E7ACE"), "4111111111111111");
  assert.is(hex(block), "A912150391AB65A67E52883D81CE2D15");
  assert.is(hex(decipherIso4PinField(pinKey, block, "4111111111111111")), "441234AAAAAAAAAA2F69ADDE2E9E7ACE");
  assert.is(decipherIso4(pinKey, block, "4111111111111111"), "1234");
});

test("format 4 vs node:crypto AES-128/192/256: C = E(E(PIN field) XOR PAN field)", () => {
  for (const kl of [16, 24, 32]) {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(kl);
      const pin = digits(4 + randomInt(9));
      const pan = digits(8 + randomInt(12));
      const field = buildIso4PinField(pin, nodeRandom);
      const a = aesEcb(key, field);
      const pf = iso4PanField(pan);
      for (let j = 0; j < 16; j++) a[j]! ^= pf[j]!;
      const want = aesEcb(key, a);
      const got = encipherIso4PinField(key, field, pan);
      assert.is(hex(got), want.toString("hex").toUpperCase());
      assert.is(decipherIso4(key, got, pan), pin);
      const b = aesEcb(key, got, true);
      for (let j = 0; j < 16; j++) b[j]! ^= pf[j]!;
      assert.is(hex(aesEcb(key, b, true)), hex(field));
    }
  }
});

test("round trips, formats 0-3, random PINs 4..12 and PANs 8..19", () => {
  for (let i = 0; i < 200; i++) {
    const pin = digits(4 + randomInt(9));
    const pan = digits(8 + randomInt(12));
    for (const f of [0, 1, 2, 3] as const) assert.is(parsePinBlock(f, buildPinBlock(f, pin, pan, nodeRandom), pan), pin, `format ${f}`);
  }
});

test("typed errors: PIN length and digits, PAN, fill, format, random source, key", () => {
  throwsCode(() => buildPinBlock(0, "123", "5555555551234567"), "E_PIN_LENGTH");
  throwsCode(() => buildPinBlock(0, "1234567890123", "5555555551234567"), "E_PIN_LENGTH");
  throwsCode(() => buildPinBlock(2, "12a4"), "E_PIN_DIGIT");
  throwsCode(() => buildPinBlock(0, "1234"), "E_PAN");
  throwsCode(() => buildPinBlock(0, "1234", "55555555512345X7"), "E_PAN");
  throwsCode(() => buildPinBlock(0, "1234", "1234567"), "E_PAN");
  throwsCode(() => buildPinBlock(0, "1234", "12345678901234567890"), "E_PAN");
  throwsCode(() => buildPinBlock(1, "1234"), "E_PIN_RANDOM");
  throwsCode(() => buildPinBlock(5 as 0, "1234"), "E_PIN_FORMAT");
  throwsCode(() => buildIso4PinField("1234", undefined as unknown as (b: Uint8Array) => void), "E_PIN_RANDOM");
  // parse: wrong PAN gives a wrong control/fill, a length nibble out of range, a non-digit PIN nibble
  assert.is(parsePinBlock(0, H("041261AAAAEDCBA9"), "5555555551234568"), "1234", "the check digit is not used");
  throwsCode(() => parsePinBlock(0, H("041261AAAAEDCBA9"), "5555555551234577"), "E_PIN_FILL");
  throwsCode(() => parsePinBlock(2, H("231234FFFFFFFFFF")), "E_PIN_LENGTH");
  throwsCode(() => parsePinBlock(2, H("2D1234FFFFFFFFFF")), "E_PIN_LENGTH");
  throwsCode(() => parsePinBlock(2, H("24123AFFFFFFFFFF")), "E_PIN_DIGIT");
  throwsCode(() => parsePinBlock(2, H("141234FFFFFFFFFF")), "E_PIN_FORMAT");
  throwsCode(() => parsePinBlock(2, H("241234FFFFFFFF")), "E_PIN_FORMAT");
  throwsCode(() => encipherIso4(new Uint8Array(8), "1234", "4111111111111111", nodeRandom), "E_KEY_LENGTH");
  throwsCode(() => decipherIso4(H("C1D0F8FB4958670DBA40AB1F3752EF0D"), H("CC17F65586BFD0953010226C4FC5B3CA"), "432198765432109871"), "E_PIN_FORMAT");
});

test.run();
