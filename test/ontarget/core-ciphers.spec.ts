/** Block ciphers of the core inside the engine: the published vectors (no node:crypto here). */
import { test, equal, ok, hexEqual, bytesOf, hexOf, throwsCode } from "./harness";
import { createCipher, ecbEncrypt, ecbDecrypt, cbcEncrypt, cbcDecrypt } from "../../firmware/core/modes";
import type { CipherAlgorithm } from "../../firmware/core/cipher";

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function ecb(alg: CipherAlgorithm, key: string, plain: Uint8Array, cipher: string): void {
  const c = createCipher(alg, bytesOf(key));
  hexEqual(ecbEncrypt(c, plain), cipher, `${alg} encrypt`);
  hexEqual(ecbDecrypt(c, bytesOf(cipher)), hexOf(plain), `${alg} decrypt`);
}

function cbc(alg: CipherAlgorithm, key: string, iv: string, plain: Uint8Array, cipher: string): void {
  const c = createCipher(alg, bytesOf(key));
  hexEqual(cbcEncrypt(c, plain, bytesOf(iv)), cipher, `${alg} CBC encrypt`);
  hexEqual(cbcDecrypt(c, bytesOf(cipher), bytesOf(iv)), hexOf(plain), `${alg} CBC decrypt`);
}

test("ciphers: DES FIPS 81 'Now is the time for all ' ECB and CBC", () => {
  ecb("des", "0123456789ABCDEF", ascii("Now is the time for all "), "3FA40E8A984D48156A271787AB8883F9893D51EC4B563B53");
  cbc("des", "0123456789ABCDEF", "1234567890ABCDEF", ascii("Now is the time for all "), "E5C7CDDE872BF27C43E934008C389C0F683788499A7C05F6");
});

test("ciphers: DES SP 800-17 known answers", () => {
  ecb("des", "0101010101010101", bytesOf("8000000000000000"), "95F8A5E5DD31D900");
  ecb("des", "0101010101010101", bytesOf("2000000000000000"), "2E8653104F3834EA");
  ecb("des", "8001010101010101", bytesOf("0000000000000000"), "95A8D72813DAA94D");
  ecb("des", "1046913489980131", bytesOf("0000000000000000"), "88D55E54F54C97B4");
  ecb("des", "7CA110454A1A6E57", bytesOf("01A1D6D039776742"), "690F5B0D9A26939B");
  ecb("des", "0131D9619DC1376E", bytesOf("5CD54CA83DEF57DA"), "7A389D10354BD271");
});

test("ciphers: 3DES SP 800-67 example and vectors.md TDES-ECB('12345678')", () => {
  ecb("3des", "0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123", ascii("The qufck brown fox jump"), "A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900");
  ecb("3des", "0123456789ABCDEFFEDCBA9876543210", ascii("12345678"), "41D2FFBA3CDC15FE");
});

test("ciphers: SM4 GB/T 32907-2016 Appendix A example 1", () => {
  ecb("sm4", "0123456789ABCDEFFEDCBA9876543210", bytesOf("0123456789ABCDEFFEDCBA9876543210"), "681EDF34D206965E86B3E94F536E4246");
});

test("ciphers: AES FIPS-197 Appendix B and C.1-C.3", () => {
  ecb("aes", "2B7E151628AED2A6ABF7158809CF4F3C", bytesOf("3243F6A8885A308D313198A2E0370734"), "3925841D02DC09FBDC118597196A0B32");
  const p = bytesOf("00112233445566778899AABBCCDDEEFF");
  ecb("aes", "000102030405060708090A0B0C0D0E0F", p, "69C4E0D86A7B0430D8CDB78070B4C55A");
  ecb("aes", "000102030405060708090A0B0C0D0E0F1011121314151617", p, "DDA97CA4864CDFE06EAF70A0EC0D7191");
  ecb("aes", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", p, "8EA2B7CA516745BFEAFC49904B496089");
});

test("ciphers: AES SP 800-38A F.2.1/F.2.3/F.2.5 CBC", () => {
  const iv = "000102030405060708090A0B0C0D0E0F";
  const p = bytesOf("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710");
  cbc("aes", "2B7E151628AED2A6ABF7158809CF4F3C", iv, p, "7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B273BED6B8E3C1743B7116E69E222295163FF1CAA1681FAC09120ECA307586E1A7");
  cbc("aes", "8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B", iv, p, "4F021DB243BC633D7178183A9FA071E8B4D9ADA9AD7DEDF4E5E738763F69145A571B242012FB7AE07FA9BAAC3DF102E008B0E27988598881D920A9E64F5615CD");
  cbc("aes", "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4", iv, p, "F58C4C04D6E5F1BA779EABFB5F7BFBD69CFC4E967EDB808D679F777BC6702C7D39F23369A9D9BACFA530E26304231461B2EB05E2C39BE9FCDA6C19078C6A9D1B");
});

test("ciphers: in place, cached schedule, typed errors", () => {
  const k = bytesOf("0123456789ABCDEFFEDCBA9876543210");
  const c = createCipher("sm4", k);
  ok(createCipher("sm4", bytesOf("0123456789ABCDEFFEDCBA9876543210")) === c, "same key: cached cipher");
  const b = bytesOf("0123456789ABCDEFFEDCBA9876543210");
  ecbEncrypt(c, b, b);
  hexEqual(b, "681EDF34D206965E86B3E94F536E4246");
  cbcDecrypt(c, b, new Uint8Array(16), b);
  hexEqual(b, "0123456789ABCDEFFEDCBA9876543210");
  throwsCode(() => createCipher("3des", new Uint8Array(8)), "E_KEY_LENGTH");
  throwsCode(() => createCipher("aes", new Uint8Array(20)), "E_KEY_LENGTH");
  throwsCode(() => ecbEncrypt(c, new Uint8Array(8)), "E_BLOCK_LENGTH");
  throwsCode(() => cbcEncrypt(c, new Uint8Array(16), new Uint8Array(8)), "E_IV_LENGTH");
  equal(ecbEncrypt(c, new Uint8Array(0)).length, 0, "empty");
});
