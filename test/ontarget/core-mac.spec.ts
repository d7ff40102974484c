/**
 * MACs, KCVs, PIN blocks and DUKPT inside the engine: the published vectors of the unit tests
 * (test/unit/core/{mac,kcv,pinblock,dukpt}.test.ts), with no node:crypto.
 */
import { test, equal, ok, hexEqual, bytesOf, throwsCode } from "./harness";
import { computeMac, verifyMac, padIso9797 } from "../../firmware/core/mac";
import { kcv, kcvCmac, hasOddParity, setOddParity } from "../../firmware/core/kcv";
import { buildPinBlock, parsePinBlock, encipherIso4, decipherIso4, encipherIso4PinField } from "../../firmware/core/pinblock";
import { dukptTdesKeys, dukptTdesTransactionKey, dukptAesKeys, dukptAesIk, dukptAesDerivationKey } from "../../firmware/core/dukpt";
import { createCipher, ecbEncrypt } from "../../firmware/core/modes";

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}
const H = (s: string) => bytesOf(s.replace(/\s+/g, ""));
const HELLO = ascii("hello world");

test("mac: X9.19 / ISO 9797-1 alg 3 'hello world' pads 1/2/3", () => {
  const k = H("41414141414141414242424242424242");
  hexEqual(computeMac("x9.19", k, HELLO), "3DDE5C5511661CBF");
  hexEqual(computeMac("iso9797-1-alg3", k, HELLO, { pad: 2 }), "E16941032C3BC7D4");
  hexEqual(computeMac("iso9797-1-alg3", k, HELLO, { pad: 3 }), "BA90F750EF43F668");
});

test("mac: ISO 9797-1 alg 1 (TDES) and padding examples", () => {
  const k = H("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
  hexEqual(computeMac("iso9797-1-alg1", k, HELLO, { pad: 1 }), "68D9038F23360DF3");
  hexEqual(computeMac("iso9797-1-alg1", k, HELLO, { pad: 2 }), "32DC341271ACCD00");
  hexEqual(computeMac("iso9797-1-alg1", H("0123456789ABCDEFFEDCBA9876543210"), H("1234567890ABCDEF"), { pad: 2 }), "925B1737EF681AD3");
  hexEqual(padIso9797(H("1234"), 3), "00000000000000101234000000000000");
  hexEqual(padIso9797(H("0102030405060708"), 1), "0102030405060708");
});

test("mac: CUP ECB, spec §9 worked example (A864ACF8) and public capture [P5] (B3A092AE)", () => {
  // §9: MTI, bitmap, 3, 4, 11, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60 (field 64 excluded)
  const body = H(
    "0200 302004C020C09811 000000 000000010000 000123 0210 00 06 37 6222021234567890123D30121010000000000 0" +
      "3130303030303031 383938313030303132333435363738 313536 2A084C604973D4AE 2600000000000000 0011 220000010000",
  );
  equal(body.length, 96, "§9 MAC block length");
  equal(text(computeMac("cup-ecb", H("3B5D7F9E1A2C4E6F"), body)), "A864ACF8");
  // [P5] q.cnblogs.com/q/128930: the captured 0200 body from the MTI to the byte before field 64
  const p5 = H(
    "0200 3020048000C08015 000000 000000001234 000002 0300 99 3030303030303031 393532373138313832323137383735 313536" +
      "0019 26000001000600000000 0043 5f0112 323834343132333435363738393031323334 5f0306 313630303336" +
      "5f0406 323030383236 5c02 3031",
  );
  equal(p5.length, 127 - 5 - 6 - 8, "[P5] MAC block length");
  equal(text(computeMac("cup-ecb", H("0723C80DB5F4CD3D"), p5)), "B3A092AE");
  verifyMac("cup-ecb-3des", H("0723C80DB5F4CD3D0723C80DB5F4CD3D"), p5, ascii("B3A092AE"));
  throwsCode(() => verifyMac("cup-ecb", H("0723C80DB5F4CD3D"), p5, ascii("B3A092AF")), "E_MAC_MISMATCH");
});

test("mac: AES-CMAC RFC 4493 examples 1, 2 and 4", () => {
  const k = H("2b7e151628aed2a6abf7158809cf4f3c");
  const m = H("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  hexEqual(computeMac("aes-cmac", k, new Uint8Array(0)), "BB1D6929E95937287FA37D129B756746");
  hexEqual(computeMac("aes-cmac", k, m.subarray(0, 16)), "070A16B46B4D4144F79BDD9DD04A287C");
  hexEqual(computeMac("aes-cmac", k, m), "51F0BEBF7E3B9D92FC49741779363CFE");
});

test("kcv: 08D7B4FB, D5D44FF7, FC11AEF3; CMAC KCV; DES parity", () => {
  hexEqual(kcv("3des", H("0123456789ABCDEFFEDCBA9876543210")), "08D7B4FB");
  hexEqual(kcv("des", H("0123456789ABCDEF")), "D5D44FF7");
  hexEqual(kcv("des", H("3B5D7F9E1A2C4E6F")), "FC11AEF3");
  // CMAC over one zero block under the RFC 4493 key (the unit test checks kcvCmac against a node:crypto CMAC)
  hexEqual(kcvCmac("aes", H("2b7e151628aed2a6abf7158809cf4f3c")), "7AD386C376");
  ok(hasOddParity(H("0123456789ABCDEF")), "parity of 0123456789ABCDEF");
  hexEqual(setOddParity(H("0000000000000000")), "0101010101010101");
});

test("pinblock: ISO 0 / 2 vectors, ISO 4 ep2 decipher and [psec] encipher, X9.24-3 sample block", () => {
  hexEqual(buildPinBlock(0, "1234", "5555555551234567"), "041261AAAAEDCBA9");
  hexEqual(buildPinBlock(0, "123456789012", "5555555551234567"), "0C1261032D8226A9");
  hexEqual(buildPinBlock(0, "123456", "6222021234567890123"), "06122662A9876FED");
  hexEqual(buildPinBlock(2, "1234"), "241234FFFFFFFFFF");
  equal(parsePinBlock(0, H("041274EDCBA9876F"), "4012345678909"), "1234");
  equal(decipherIso4(H("C1D0F8FB4958670DBA40AB1F3752EF0D"), H("CC17F65586BFD0953010226C4FC5B3CA"), "432198765432109870"), "1234");
  hexEqual(encipherIso4(H("00112233445566778899AABBCCDDEEFF"), "1234", "1234567890123456789", (b) => b.fill(0xff)), "28B41FDDD29B743E93124BD8E32D921E");
  hexEqual(encipherIso4PinField(H("AF8CB133A78F8DC2D1359F18527593FB"), H("441234AAAAAAAAAA2F69ADDE2E9E7ACE"), "4111111111111111"), "A912150391AB65A67E52883D81CE2D15");
  throwsCode(() => buildPinBlock(0, "123", "5555555551234567"), "E_PIN_LENGTH");
});

test("dukpt: TDES A.4 (IK, KSN E00001 and rollover F00000: keys, PIN blocks, request MAC)", () => {
  const bdk = H("0123456789ABCDEFFEDCBA9876543210");
  const k = dukptTdesKeys(bdk, H("FFFF9876543210E00001"));
  hexEqual(k.ik, "6AC292FAA1315B4D858AB3A3D7D5933A");
  hexEqual(k.transactionKey, "042666B49184CFA368DE9628D0397BC9");
  hexEqual(ecbEncrypt(createCipher("3des", k.pin), H("041274EDCBA9876F")), "1B9C1845EB993A7A");
  hexEqual(computeMac("x9.19", k.macRequest, ascii("4012345678909D987"), { length: 4 }), "9CCC7817");
  const tk = dukptTdesTransactionKey(k.ik, H("FFFF9876543210F00000"));
  hexEqual(tk, "AA4D58DB653EC74A48C75F2F047DD2B5");
});

test("dukpt: AES-128 BDK (X9.24-3): IK, KSN 1 keys, PIN block; last counter FFFF0000", () => {
  const bdk = H("FEDCBA9876543210F1F1F1F1F1F1F1F1");
  const ksn = H("123456789012345600000001");
  const k = dukptAesKeys(bdk, ksn);
  hexEqual(k.ik, "1273671EA26AC29AFA4D1084127652A1");
  hexEqual(k.derivationKey, "4F21B565BAD9835E112B6465635EAE44");
  hexEqual(k.pinEncryption, "AF8CB133A78F8DC2D1359F18527593FB");
  hexEqual(k.macGeneration, "A2DC23DE6FDE0824A2BC321E08E4B8B7");
  hexEqual(k.dataEncryption, "A35C412EFD41FDB98B69797C02DCD08F");
  hexEqual(encipherIso4PinField(k.pinEncryption, H("441234AAAAAAAAAA2F69ADDE2E9E7ACE"), "4111111111111111"), "A912150391AB65A67E52883D81CE2D15");
  hexEqual(dukptAesDerivationKey(k.ik, H("1234567890123456FFFF0000")), "F6BA59389BD14A9855BE9727E7C52E3C");
});

test("dukpt: AES-256 BDK (X9.24-3): IK and KSN 1 AES-256 PIN key", () => {
  const bdk = H("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1");
  hexEqual(dukptAesIk(bdk, H("1234567890123456")), "CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F");
  hexEqual(dukptAesKeys(bdk, H("123456789012345600000001"), "aes256").pinEncryption, "8C1AB7BEE973829E30242E0BBBDD4946D540C98FC1B5BDCF94790001A23FD502");
});
