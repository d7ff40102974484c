/**
 * Block ciphers of the core against published vectors: DES (FIPS 81, SP 800-17 KATs), TDEA (SP 800-67,
 * spec/vectors.md), SM4 (GB/T 32907-2016 App. A, incl. the 1,000,000-iteration vector), AES (FIPS-197
 * App. B/C, SP 800-38A CBC); the mode helpers, the key-schedule cache and the typed errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipher, ecbEncrypt, ecbDecrypt, cbcEncrypt, cbcDecrypt, clearCipherCache } from "../../../firmware/core/modes.ts";
import { desCipher, tdesCipher } from "../../../firmware/core/des.ts";
import { sm4Cipher } from "../../../firmware/core/sm4.ts";
import { aesCipher } from "../../../firmware/core/aes.ts";
import { CoreError } from "../../../firmware/core/errors.ts";
import type { CipherAlgorithm } from "../../../firmware/core/cipher.ts";

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();
const norm = (s: string) => s.replace(/\s+/g, "").toUpperCase();

function throwsCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CoreError);
    assert.is((e as CoreError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** ECB both ways through createCipher. */
function ecbCase(alg: CipherAlgorithm, key: string, plain: string, cipher: string) {
  const c = createCipher(alg, h(key));
  assert.is(hex(ecbEncrypt(c, h(plain))), norm(cipher), `${alg} E(${key}, ${plain})`);
  assert.is(hex(ecbDecrypt(c, h(cipher))), norm(plain), `${alg} D(${key}, ${cipher})`);
}

function cbcCase(alg: CipherAlgorithm, key: string, iv: string, plain: string, cipher: string) {
  const c = createCipher(alg, h(key));
  assert.is(hex(cbcEncrypt(c, h(plain), h(iv))), norm(cipher), `${alg} CBC-E(${key})`);
  assert.is(hex(cbcDecrypt(c, h(cipher), h(iv))), norm(plain), `${alg} CBC-D(${key})`);
}

test("DES: FIPS 81 'Now is the time for all ' in ECB and CBC", () => {
  const now = Buffer.from("Now is the time for all ").toString("hex");
  ecbCase("des", "0123456789ABCDEF", now, "3FA40E8A984D4815 6A271787AB8883F9 893D51EC4B563B53");
  cbcCase("des", "0123456789ABCDEF", "1234567890ABCDEF", now, "E5C7CDDE872BF27C 43E934008C389C0F 683788499A7C05F6");
});

test("DES: SP 800-17 known-answer tests (variable plaintext, variable key, permutation, substitution)", () => {
  const kats: [string, string, string][] = [
    ["0101010101010101", "8000000000000000", "95F8A5E5DD31D900"],
    ["0101010101010101", "4000000000000000", "DD7F121CA5015619"],
    ["0101010101010101", "2000000000000000", "2E8653104F3834EA"],
    ["8001010101010101", "0000000000000000", "95A8D72813DAA94D"],
    ["4001010101010101", "0000000000000000", "0EEC1487DD8C26D5"],
    ["1046913489980131", "0000000000000000", "88D55E54F54C97B4"],
    ["7CA110454A1A6E57", "01A1D6D039776742", "690F5B0D9A26939B"],
    ["0131D9619DC1376E", "5CD54CA83DEF57DA", "7A389D10354BD271"],
  ];
  for (const [k, p, c] of kats) ecbCase("des", k, p, c);
});

test("DES: parity bits are ignored (key bytes differing only in bit 0 give the same cipher)", () => {
  const a = ecbEncrypt(desCipher(h("0123456789ABCDEF")), h("4E6F772069732074"));
  const b = ecbEncrypt(desCipher(h("0022446688AACCEE")), h("4E6F772069732074"));
  assert.is(hex(a), "3FA40E8A984D4815");
  assert.is(hex(b), hex(a));
});

test("3DES: SP 800-67 example (3 keys) and vectors.md 2-key TDES-ECB('12345678')", () => {
  ecbCase(
    "3des",
    "0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123",
    Buffer.from("The qufck brown fox jump").toString("hex"),
    "A826FD8CE53B855F CCE21C8112256FE6 68D5C05DD9B6B900",
  );
  ecbCase("3des", "0123456789ABCDEFFEDCBA9876543210", Buffer.from("12345678").toString("hex"), "41D2FFBA3CDC15FE");
});

test("3DES: K1=K2=K3 and K1=K2 degenerate to single DES", () => {
  const k = "0123456789ABCDEF";
  const p = h("4E6F772069732074");
  assert.is(hex(ecbEncrypt(tdesCipher(h(k + k)), p)), "3FA40E8A984D4815");
  assert.is(hex(ecbEncrypt(tdesCipher(h(k + k + k)), p)), "3FA40E8A984D4815");
});

test("SM4: GB/T 32907-2016 Appendix A example 1", () => {
  ecbCase("sm4", "0123456789ABCDEFFEDCBA9876543210", "0123456789ABCDEFFEDCBA9876543210", "681EDF34D206965E86B3E94F536E4246");
});

test("SM4: GB/T 32907-2016 Appendix A example 2 (1,000,000 encryptions, then as many decryptions)", () => {
  const c = sm4Cipher(h("0123456789ABCDEFFEDCBA9876543210"));
  const b = h("0123456789ABCDEFFEDCBA9876543210");
  for (let i = 0; i < 1_000_000; i++) c.encryptBlock(b, 0, b, 0);
  assert.is(hex(b), "595298C7C6FD271F0402F804C33D3F66");
  for (let i = 0; i < 1_000_000; i++) c.decryptBlock(b, 0, b, 0);
  assert.is(hex(b), "0123456789ABCDEFFEDCBA9876543210");
});

test("AES: FIPS-197 Appendix B and Appendix C (128, 192, 256)", () => {
  ecbCase("aes", "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734", "3925841d02dc09fbdc118597196a0b32");
  const p = "00112233445566778899aabbccddeeff";
  ecbCase("aes", "000102030405060708090a0b0c0d0e0f", p, "69c4e0d86a7b0430d8cdb78070b4c55a");
  ecbCase("aes", "000102030405060708090a0b0c0d0e0f1011121314151617", p, "dda97ca4864cdfe06eaf70a0ec0d7191");
  ecbCase("aes", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", p, "8ea2b7ca516745bfeafc49904b496089");
});

test("AES: SP 800-38A F.2 CBC examples (128, 192, 256)", () => {
  const iv = "000102030405060708090a0b0c0d0e0f";
  const p = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
  cbcCase("aes", "2b7e151628aed2a6abf7158809cf4f3c", iv, p,
    "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");
  cbcCase("aes", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", iv, p,
    "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a 571b242012fb7ae07fa9baac3df102e0 08b0e27988598881d920a9e64f5615cd");
  cbcCase("aes", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", iv, p,
    "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d 39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b");
});

test("modes: in place (out === data), caller buffers, offsets inside a block run, empty data", () => {
  const c = createCipher("aes", h("2b7e151628aed2a6abf7158809cf4f3c"));
  const iv = h("000102030405060708090a0b0c0d0e0f");
  const p = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";
  const expected = "7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2";
  const buf = h(p);
  assert.ok(cbcEncrypt(c, buf, iv, buf) === buf, "returns out");
  assert.is(hex(buf), expected);
  assert.ok(cbcDecrypt(c, buf, iv, buf) === buf);
  assert.is(hex(buf), norm(p));
  const e = h(p);
  ecbEncrypt(c, e, e);
  assert.is(hex(ecbDecrypt(c, e, e)), norm(p));
  // A longer caller buffer: only data.length bytes are written.
  const out = new Uint8Array(40).fill(0xee);
  cbcEncrypt(c, h(p), iv, out);
  assert.is(hex(out.subarray(0, 32)), expected);
  assert.is(hex(out.subarray(32)), "EEEEEEEEEEEEEEEE");
  // The IV is not modified; empty data gives empty output.
  assert.is(hex(iv), "000102030405060708090A0B0C0D0E0F");
  assert.is(cbcEncrypt(c, new Uint8Array(0), iv).length, 0);
  assert.is(cbcDecrypt(c, new Uint8Array(0), iv).length, 0);
  // Blocks at an offset of a larger buffer (as a message parser would pass them).
  const d = createCipher("des", h("0123456789ABCDEF"));
  const frame = h("AA 4E6F772069732074 BB");
  d.encryptBlock(frame, 1, frame, 1);
  assert.is(hex(frame), "AA3FA40E8A984D4815BB");
});

test("createCipher: the schedule is cached per algorithm and key bytes (8 most recent)", () => {
  clearCipherCache();
  const k = h("0123456789ABCDEFFEDCBA9876543210");
  const a = createCipher("3des", k);
  assert.ok(createCipher("3des", h("0123456789ABCDEFFEDCBA9876543210")) === a, "same key bytes: same cipher");
  assert.ok(createCipher("sm4", k) !== (a as unknown), "other algorithm: other cipher");
  k[0] = 0x99; // the caller reusing its key buffer does not alter the cached entry
  assert.ok(createCipher("3des", k) !== a);
  assert.ok(createCipher("3des", h("0123456789ABCDEFFEDCBA9876543210")) === a);
  // Eight others push it out.
  for (let i = 0; i < 8; i++) createCipher("des", h(`00000000000000${i.toString(16).padStart(2, "0")}`));
  const b = createCipher("3des", h("0123456789ABCDEFFEDCBA9876543210"));
  assert.ok(b !== a, "evicted after eight newer keys");
  assert.is(hex(ecbEncrypt(b, Buffer.from("12345678"))), "41D2FFBA3CDC15FE");
  // Touching an entry keeps it (least recently used goes first).
  for (let i = 0; i < 7; i++) {
    createCipher("des", h(`11111111111111${i.toString(16).padStart(2, "0")}`));
    assert.ok(createCipher("3des", h("0123456789ABCDEFFEDCBA9876543210")) === b);
  }
  clearCipherCache();
  assert.ok(createCipher("3des", h("0123456789ABCDEFFEDCBA9876543210")) !== b, "cleared");
});

test("errors: key length, data length, IV length, output length, algorithm (CoreError codes)", () => {
  for (const [alg, bad] of [["des", [0, 7, 9, 16]], ["3des", [8, 15, 17, 23, 25, 32]], ["sm4", [8, 15, 17, 24, 32]], ["aes", [0, 8, 15, 17, 20, 31, 33]]] as const) {
    for (const n of bad) throwsCode(() => createCipher(alg, new Uint8Array(n)), "E_KEY_LENGTH");
  }
  throwsCode(() => desCipher(new Uint8Array(16)), "E_KEY_LENGTH");
  throwsCode(() => tdesCipher(new Uint8Array(8)), "E_KEY_LENGTH");
  throwsCode(() => sm4Cipher(new Uint8Array(24)), "E_KEY_LENGTH");
  throwsCode(() => aesCipher(new Uint8Array(12)), "E_KEY_LENGTH");
  throwsCode(() => createCipher("rc4" as CipherAlgorithm, new Uint8Array(16)), "E_CIPHER_ALGORITHM");
  const d = createCipher("3des", new Uint8Array(16));
  const s = createCipher("sm4", new Uint8Array(16));
  for (const f of [ecbEncrypt, ecbDecrypt]) {
    throwsCode(() => f(d, new Uint8Array(7)), "E_BLOCK_LENGTH");
    throwsCode(() => f(s, new Uint8Array(8)), "E_BLOCK_LENGTH");
    throwsCode(() => f(s, new Uint8Array(32), new Uint8Array(16)), "E_BUFFER_LENGTH");
  }
  for (const f of [cbcEncrypt, cbcDecrypt]) {
    throwsCode(() => f(d, new Uint8Array(9), new Uint8Array(8)), "E_BLOCK_LENGTH");
    throwsCode(() => f(d, new Uint8Array(8), new Uint8Array(16)), "E_IV_LENGTH");
    throwsCode(() => f(s, new Uint8Array(16), new Uint8Array(8)), "E_IV_LENGTH");
    throwsCode(() => f(s, new Uint8Array(16), new Uint8Array(0)), "E_IV_LENGTH");
    throwsCode(() => f(s, new Uint8Array(32), new Uint8Array(16), new Uint8Array(31)), "E_BUFFER_LENGTH");
  }
});

test("createCipher never alters the caller's key, even a Node Buffer evicted from the cache", () => {
  const key = Buffer.from("0123456789ABCDEFFEDCBA9876543210", "hex");
  createCipher("3des", key);
  for (let i = 0; i < 20; i++) createCipher("des", Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]));
  assert.is(key.toString("hex"), "0123456789abcdeffedcba9876543210");
});

test.run();
