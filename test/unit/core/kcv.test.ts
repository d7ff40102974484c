/** KCVs (zero-block and X9.24 CMAC methods) and DES odd parity: published values and node:crypto cross-checks. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, randomBytes } from "node:crypto";
import { assertOddParity, hasOddParity, kcv, kcvCmac, setOddParity } from "../../../firmware/core/kcv.ts";
import { computeMac } from "../../../firmware/core/mac.ts";
import { bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { H, hex, throwsCode, ecbRef } from "../../support.ts";




test("KCV of published keys: 3DES 0123..3210 -> 08D7B4 (FB), DES 0123456789ABCDEF -> D5D44FF7, spec §9 MAK -> FC11AEF3", () => {
  assert.is(hex(kcv("3des", H("0123456789ABCDEFFEDCBA9876543210"), 3)), "08D7B4");
  assert.is(hex(kcv("3des", H("0123456789ABCDEFFEDCBA9876543210"), 2)), "08D7");
  assert.is(hex(kcv("3des", H("0123456789ABCDEFFEDCBA9876543210"))), "08D7B4FB");
  assert.is(hex(kcv("des", H("0123456789ABCDEF"))), "D5D44FF7");
  assert.is(hex(kcv("des", H("3B5D7F9E1A2C4E6F"))), "FC11AEF3");
});

test("KCV (zero-block method) vs node:crypto for DES, 2/3-key TDES, SM4 and AES-128/192/256", () => {
  for (let i = 0; i < 8; i++) {
    const d = randomBytes(8);
    assert.is(hex(kcv("des", d, 8)), ecbRef("des-ede3-ecb", Buffer.concat([d, d, d]), Buffer.alloc(8)).toString("hex").toUpperCase());
    const t2 = randomBytes(16);
    assert.is(hex(kcv("3des", t2)), ecbRef("des-ede3-ecb", Buffer.concat([t2, t2.subarray(0, 8)]), Buffer.alloc(8)).toString("hex").toUpperCase().slice(0, 8));
    const t3 = randomBytes(24);
    assert.is(hex(kcv("3des", t3, 5)), ecbRef("des-ede3-ecb", t3, Buffer.alloc(8)).toString("hex").toUpperCase().slice(0, 10));
    const s = randomBytes(16);
    assert.is(hex(kcv("sm4", s, 16)), ecbRef("sm4-ecb", s, Buffer.alloc(16)).toString("hex").toUpperCase());
    for (const kl of [16, 24, 32]) {
      const a = randomBytes(kl);
      assert.is(hex(kcv("aes", a)), ecbRef(`aes-${kl * 8}-ecb`, a, Buffer.alloc(16)).toString("hex").toUpperCase().slice(0, 8));
    }
  }
});

test("CMAC KCV (X9.24-1:2017): first 5 bytes of CMAC over one zero block, AES and TDES", () => {
  // RFC 4493 key: CMAC over one zero block, cross-checked with a CMAC reference built from AES-ECB
  const k = H("2b7e151628aed2a6abf7158809cf4f3c");
  const full = computeMac("aes-cmac", k, new Uint8Array(16));
  assert.is(hex(kcvCmac("aes", k)), hex(full).slice(0, 10));
  assert.is(hex(kcvCmac("aes", k, 16)), hex(full));
  // reference: CMAC of a complete single block = E(0 XOR K1), K1 = dbl(E(0))
  for (const kl of [16, 24, 32]) {
    const a = randomBytes(kl);
    const l = ecbRef(`aes-${kl * 8}-ecb`, a, Buffer.alloc(16));
    const k1 = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) k1[i] = ((l[i]! << 1) | (i < 15 ? l[i + 1]! >> 7 : 0)) & 0xff;
    if (l[0]! & 0x80) k1[15]! ^= 0x87;
    assert.is(hex(kcvCmac("aes", a)), ecbRef(`aes-${kl * 8}-ecb`, a, k1).toString("hex").toUpperCase().slice(0, 10));
  }
  const t = randomBytes(16);
  const tl = ecbRef("des-ede3-ecb", Buffer.concat([t, t.subarray(0, 8)]), Buffer.alloc(8));
  const tk1 = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) tk1[i] = ((tl[i]! << 1) | (i < 7 ? tl[i + 1]! >> 7 : 0)) & 0xff;
  if (tl[0]! & 0x80) tk1[7]! ^= 0x1b;
  assert.is(hex(kcvCmac("3des", t)), ecbRef("des-ede3-ecb", Buffer.concat([t, t.subarray(0, 8)]), tk1).toString("hex").toUpperCase().slice(0, 10));
  // the two AES methods differ
  assert.is.not(hex(kcvCmac("aes", k, 4)), hex(kcv("aes", k)));
});

test("KCV errors: key length per algorithm, KCV length", () => {
  throwsCode(() => kcv("des", new Uint8Array(16)), "E_KEY_LENGTH");
  throwsCode(() => kcv("3des", new Uint8Array(8)), "E_KEY_LENGTH");
  throwsCode(() => kcv("sm4", new Uint8Array(24)), "E_KEY_LENGTH");
  throwsCode(() => kcv("aes", new Uint8Array(20)), "E_KEY_LENGTH");
  throwsCode(() => kcv("des", new Uint8Array(8), 9), "E_KCV_LENGTH");
  throwsCode(() => kcv("des", new Uint8Array(8), 0), "E_KCV_LENGTH");
  throwsCode(() => kcvCmac("aes", new Uint8Array(16), 17), "E_KCV_LENGTH");
});

test("DES odd parity: check, set (new array and in place), assert", () => {
  assert.ok(hasOddParity(H("0123456789ABCDEFFEDCBA9876543210")));
  assert.ok(!hasOddParity(H("0000000000000000")));
  assert.is(hex(setOddParity(H("0000000000000000"))), "0101010101010101");
  assert.is(hex(setOddParity(H("FFFEFDFC03020100"))), "FEFEFDFD02020101");
  // 4141.. (the psec X9.19 key) has even parity bytes; setting parity keeps the DES key (parity bits are unused)
  const k = H("4141414141414141");
  assert.ok(!hasOddParity(k));
  const p = setOddParity(k);
  assert.is(hex(p), "4040404040404040");
  assert.is(hex(k), "4141414141414141", "input untouched");
  assert.is(hex(kcv("des", p, 8)), hex(kcv("des", k, 8)));
  setOddParity(k, k);
  assert.is(hex(k), "4040404040404040");
  for (let i = 0; i < 50; i++) {
    const r = randomBytes(24);
    const q = setOddParity(r);
    assert.ok(hasOddParity(q));
    for (let j = 0; j < 24; j++) assert.is(q[j]! & 0xfe, r[j]! & 0xfe);
  }
  assertOddParity(H("0123456789ABCDEF"));
  throwsCode(() => assertOddParity(H("0123456789ABCDEE")), "E_KEY_PARITY");
});

test.run();
