/** firmware/core/luhn.ts and track2.ts: Luhn check digits (against an independent table-driven reference), PAN masking, track 2 parsing. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { luhnCheckDigit, luhnValid, maskPan } from "../../../firmware/core/luhn.ts";
import { formatTrack2, parseTrack2, parseTrack2Bytes } from "../../../firmware/core/track2.ts";
import { hexToBytes } from "../../../firmware/core/bytes.ts";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
  return "nothing thrown";
};

/** Reference: the mod-10 check from the left with a doubled-digit table (a different formulation). */
function referenceValid(s: string): boolean {
  const DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
  let sum = 0;
  const parity = s.length % 2;
  for (let i = 0; i < s.length; i++) {
    const d = Number(s[i]);
    sum += i % 2 === parity ? DOUBLED[d]! : d;
  }
  return sum % 10 === 0;
}

test("Luhn: the ISO/IEC 7812 worked example and well-known test PANs", () => {
  assert.ok(luhnValid("79927398713"));
  assert.is(luhnCheckDigit("7992739871"), 3);
  for (const pan of ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000", "6250941006528599"])
    assert.ok(luhnValid(pan), pan);
  assert.not.ok(luhnValid("4111111111111112"));
  assert.not.ok(luhnValid("79927398710"));
  assert.not.ok(luhnValid("7992739871a"));
  assert.not.ok(luhnValid("0"));
  assert.not.ok(luhnValid(""));
  assert.is(code(() => luhnCheckDigit("12x4")), "E_LUHN_DIGITS");
  assert.is(code(() => luhnCheckDigit("")), "E_LUHN_DIGITS");
});

test("Luhn: 20000 random payloads agree with the reference; single-digit errors are caught", () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let k = 0; k < 20000; k++) {
    const n = 1 + (next() % 19);
    let payload = "";
    for (let i = 0; i < n; i++) payload += String(next() % 10);
    const full = payload + String(luhnCheckDigit(payload));
    assert.ok(referenceValid(full), full);
    assert.ok(luhnValid(full), full);
    const pos = next() % full.length;
    const wrong = full.slice(0, pos) + String((Number(full[pos]) + 1 + (next() % 9)) % 10) + full.slice(pos + 1);
    assert.not.ok(luhnValid(wrong), wrong);
    assert.is(luhnValid(wrong), referenceValid(wrong));
  }
});

test("maskPan: first 6 and last 4 kept", () => {
  assert.is(maskPan("6222021234567890123"), "622202*********0123");
  assert.is(maskPan("4111111111111111"), "411111******1111");
  assert.is(maskPan("4111111111111111", "X"), "411111XXXXXX1111");
  assert.is(maskPan("1234567890"), "******7890");
  assert.is(code(() => maskPan("6222 0212 3456 7890")), "E_PAN");
  assert.is(code(() => maskPan("123")), "E_PAN");
});

test("track 2: CUP example with '=' and sentinels, 'D' separator, round trip", () => {
  const t = parseTrack2(";6222021234567890123=30121010000?");
  assert.equal(t, { pan: "6222021234567890123", expiry: "3012", serviceCode: "101", discretionary: "0000", panLuhnValid: false });
  const d = parseTrack2("4111111111111111D2512201123456789");
  assert.is(d.pan, "4111111111111111");
  assert.is(d.expiry, "2512");
  assert.is(d.serviceCode, "201");
  assert.is(d.discretionary, "123456789");
  assert.ok(d.panLuhnValid);
  assert.is(formatTrack2(d), "4111111111111111D2512201123456789");
  assert.equal(parseTrack2(formatTrack2(t)), t);
  assert.is(parseTrack2("411111111111=2512201").discretionary, "");
});

test("track 2: errors are typed", () => {
  const cases: Array<[string, string]> = [
    ["62220212345678901233012101", "E_TRACK2_SEPARATOR"],
    ["6222021234567890123=3012=101", "E_TRACK2_SEPARATOR"],
    ["62220212345=3012101", "E_TRACK2_PAN"],
    ["62220212345678901234=3012101", "E_TRACK2_PAN"],
    ["6222021234567890123=301", "E_TRACK2_EXPIRY"],
    ["6222021234567890123=3013101", "E_TRACK2_EXPIRY"],
    ["6222021234567890123=3000101", "E_TRACK2_EXPIRY"],
    ["6222021234567890123=301210", "E_TRACK2_SERVICE_CODE"],
    ["6222021234567890123=3012101A", "E_TRACK2_CHAR"],
    ["6222021234567890123=30121010000000000000", "E_TRACK2_LENGTH"],
    ["", "E_TRACK2_SEPARATOR"],
  ];
  for (const [s, want] of cases) assert.is(code(() => parseTrack2(s)), want, s);
});

test("track 2 packed (tag 57 / field 35): D separator, trailing F; bad nibbles", () => {
  const t = parseTrack2Bytes(hexToBytes("6222021234567890123D301210112345678F"));
  assert.is(t.pan, "6222021234567890123");
  assert.is(t.discretionary, "12345678");
  const even = parseTrack2Bytes(hexToBytes("4111111111111111D25122011234"));
  assert.is(even.discretionary, "1234");
  assert.is(parseTrack2Bytes(hexToBytes("AA4111111111111111D25122011234AA"), 1, 14).serviceCode, "201");
  assert.is(code(() => parseTrack2Bytes(hexToBytes("4111111111111111D2512F2011"))), "E_TRACK2_CHAR");
  assert.is(code(() => parseTrack2Bytes(hexToBytes("4111111111111111A251220112"))), "E_TRACK2_CHAR");
  assert.is(code(() => parseTrack2Bytes(hexToBytes("41"), 0, 2)), "E_RANGE");
});

test.run();
