/**
 * MACs: published vectors (X9.19 / ISO 9797-1, RFC 4493, the CUP worked example of spec §9, two public
 * CUP captures) and cross-checks against references built here from node:crypto (OpenSSL).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { cbcMac, cmac, computeMac, cupEcbMac, padIso9797, retailMac, verifyMac, type MacAlgorithm } from "../../../firmware/core/mac.ts";
import { createCipher } from "../../../firmware/core/modes.ts";
import { asciiToBytes, bytesToHex, hexToBytes } from "../../../firmware/core/bytes.ts";
import { H, hex, throwsCode, ecbRef } from "../../support.ts";

const A = (s: string) => asciiToBytes(s);


// ---- references from node:crypto -------------------------------------------------------------------
/** A 24-byte OpenSSL des-ede3 key from an 8-, 16- or 24-byte DES/TDES key. */
function ede3(key: Uint8Array): Buffer {
  const k = Buffer.from(key);
  if (k.length === 8) return Buffer.concat([k, k, k]);
  if (k.length === 16) return Buffer.concat([k, k.subarray(0, 8)]);
  return k;
}
const desE = (key: Uint8Array, b: Buffer) => ecbRef("des-ede3-ecb", ede3(key), b);
const desD = (key: Uint8Array, b: Buffer) => ecbRef("des-ede3-ecb", ede3(key), b, true);
const aesName = (key: Uint8Array, mode: string) => `aes-${key.length * 8}-${mode}`;

function padRef(data: Buffer, pad: 1 | 2 | 3, bs: number): Buffer {
  if (pad === 2) {
    const n = data.length + 1 + ((bs - ((data.length + 1) % bs)) % bs);
    const out = Buffer.alloc(n);
    data.copy(out);
    out[data.length] = 0x80;
    return out;
  }
  const body = Buffer.alloc(data.length === 0 ? (pad === 1 ? bs : 0) : Math.ceil(data.length / bs) * bs);
  data.copy(body);
  if (pad === 1) return body;
  const l = Buffer.alloc(bs);
  l.writeUInt32BE(data.length * 8, bs - 4);
  return Buffer.concat([l, body]);
}
/** Last block of CBC (IV zero) with OpenSSL over already padded data. */
function cbcLast(name: string, key: Buffer, padded: Buffer, bs: number): Buffer {
  const c = createCipheriv(name, key, Buffer.alloc(bs));
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(padded), c.final()]);
  return out.subarray(out.length - bs);
}
/** CUP ECB MAC reference: encrypt = one-block ECB encryption with the MAK. */
function cupRef(encrypt: (b: Buffer) => Buffer, data: Buffer, bs: number): { xor: string; mac: string } {
  const r = Buffer.alloc(bs);
  for (let i = 0; i < data.length; i++) r[i % bs]! ^= data[i]!;
  const h = Buffer.from(r.toString("hex").toUpperCase(), "latin1");
  const e1 = encrypt(h.subarray(0, bs));
  for (let i = 0; i < bs; i++) e1[i]! ^= h[bs + i]!;
  const e2 = encrypt(e1);
  return { xor: r.toString("hex").toUpperCase(), mac: e2.toString("hex").toUpperCase().slice(0, 8) };
}
/** CMAC reference (SP 800-38B) over an ECB block function. */
function cmacRef(encrypt: (b: Buffer) => Buffer, bs: number, data: Buffer): Buffer {
  const rb = bs === 16 ? 0x87 : 0x1b;
  const dbl = (x: Buffer) => {
    const y = Buffer.alloc(bs);
    for (let i = 0; i < bs; i++) y[i] = ((x[i]! << 1) | (i + 1 < bs ? x[i + 1]! >> 7 : 0)) & 0xff;
    if (x[0]! & 0x80) y[bs - 1]! ^= rb;
    return y;
  };
  const k1 = dbl(encrypt(Buffer.alloc(bs)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(data.length / bs));
  const complete = data.length > 0 && data.length % bs === 0;
  const last = Buffer.alloc(bs);
  data.copy(last, 0, (n - 1) * bs);
  if (!complete) last[data.length - (n - 1) * bs] = 0x80;
  const k = complete ? k1 : k2;
  for (let i = 0; i < bs; i++) last[i]! ^= k[i]!;
  let x: Buffer = Buffer.alloc(bs);
  for (let b = 0; b < n - 1; b++) {
    for (let i = 0; i < bs; i++) x[i]! ^= data[b * bs + i]!;
    x = encrypt(x);
  }
  for (let i = 0; i < bs; i++) x[i]! ^= last[i]!;
  return encrypt(x);
}

// ---- published vectors -----------------------------------------------------------------------------
const HELLO = A("hello world");

test("X9.19 / ISO 9797-1 alg 3, 'hello world', pads 1/2/3 ([psec] tests/test_mac.py)", () => {
  const k = H("4141414141414141 4242424242424242");
  assert.is(hex(computeMac("x9.19", k, HELLO)), "3DDE5C5511661CBF");
  assert.is(hex(computeMac("iso9797-1-alg3", k, HELLO, { pad: 1 })), "3DDE5C5511661CBF");
  assert.is(hex(computeMac("iso9797-1-alg3", k, HELLO, { pad: 2 })), "E16941032C3BC7D4");
  assert.is(hex(computeMac("iso9797-1-alg3", k, HELLO, { pad: 3 })), "BA90F750EF43F668");
  assert.is(hex(computeMac("x9.19", k, HELLO, { length: 4 })), "3DDE5C55");
});

test("ISO 9797-1 alg 1 with TDES ([psec] tests/test_mac.py and psec/mac.py docstring)", () => {
  const k = H("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
  assert.is(hex(computeMac("iso9797-1-alg1", k, HELLO, { pad: 1 })), "68D9038F23360DF3");
  assert.is(hex(computeMac("iso9797-1-alg1", k, HELLO, { pad: 2 })), "32DC341271ACCD00");
  assert.is(hex(computeMac("iso9797-1-alg1", H("0123456789ABCDEFFEDCBA9876543210"), H("1234567890ABCDEF"), { pad: 2 })), "925B1737EF681AD3");
});

test("ISO 9797-1 padding examples, incl. method 1 adding nothing to aligned data", () => {
  assert.is(hex(padIso9797(H("1234"), 1)), "1234000000000000");
  assert.is(hex(padIso9797(H("1234"), 2)), "1234800000000000");
  assert.is(hex(padIso9797(H("1234"), 3)), "00000000000000101234000000000000");
  assert.is(hex(padIso9797(H("0102030405060708"), 1)), "0102030405060708");
  assert.is(hex(padIso9797(H("0102030405060708"), 2)), "01020304050607088000000000000000");
  assert.is(hex(padIso9797(new Uint8Array(0), 1)), "0000000000000000");
  assert.is(hex(padIso9797(H("1234"), 2, 16)), "12348000000000000000000000000000");
  // [S2]'s extra zero byte matters for X9.19 on aligned data: pad 1 must not add a zero block.
  const k = H("4141414141414141 4242424242424242");
  const d8 = A("abcdefgh");
  const withExtraBlock = new Uint8Array(16);
  withExtraBlock.set(d8);
  assert.is.not(hex(computeMac("x9.19", k, d8)), hex(computeMac("x9.19", k, withExtraBlock)));
  assert.is(hex(computeMac("x9.19", k, d8)), hex(retailMac(createCipher("des", k.subarray(0, 8)), createCipher("des", k.subarray(8)), d8, 1)));
});

const CUP9_BODY = H(
  "0200 302004C020C09811 000000 000000010000 000123 0210 00 06" +
    "37 6222021234567890123D30121010000000000 0" +
    "3130303030303031 383938313030303132333435363738 313536" +
    "2A084C604973D4AE 2600000000000000 0011 220000010000",
);

test("CUP ECB MAC: spec cup-8583.md §9 worked example (MAK 3B5D7F9E1A2C4E6F -> A864ACF8)", () => {
  assert.is(CUP9_BODY.length, 96);
  const mak = H("3B5D7F9E1A2C4E6F");
  const mac = computeMac("cup-ecb", mak, CUP9_BODY);
  assert.is(hex(mac), "4138363441434638");
  assert.is(String.fromCharCode(...mac), "A864ACF8");
  const ref = cupRef((b) => desE(mak, b), Buffer.from(CUP9_BODY), 8);
  assert.is(ref.xor, "ED42CF076B92F856");
  assert.is(ref.mac, "A864ACF8");
  verifyMac("cup-ecb", mak, CUP9_BODY, H("4138363441434638"));
});

// [P5] https://q.cnblogs.com/q/128930: a captured 0200 (length, TPDU, header, body) with its correct MAC.
const P5_FRAME = H(
  "007f6000030000603210320072020030200480 00c0801500000000000000123400000203009930303030303030313935" +
    "323731383138323231373837353135360019260000010006000000000043 5f011232383434313233343536373839303132" +
    "3334 5f03063136303033 365f04063230303832 365c0230314233413039324145",
);

test("CUP ECB MAC: public capture [P5] (TAK 0723C80DB5F4CD3D -> B3A092AE)", () => {
  assert.is(P5_FRAME.length, 2 + 0x7f);
  const body = P5_FRAME.subarray(2 + 5 + 6);
  assert.is(hex(body.subarray(0, 2)), "0200");
  assert.is(body[9]! & 1, 1, "bitmap bit 64 set");
  const mab = body.subarray(0, body.length - 8);
  const mac = body.subarray(body.length - 8);
  assert.is(String.fromCharCode(...mac), "B3A092AE");
  assert.is(hex(computeMac("cup-ecb", H("0723C80DB5F4CD3D"), mab)), hex(mac));
  // the capture's key is given double-length with equal halves: the 3DES form is the same MAC
  assert.is(hex(computeMac("cup-ecb-3des", H("0723C80DB5F4CD3D0723C80DB5F4CD3D"), mab)), hex(mac));
  throwsCode(() => verifyMac("cup-ecb", H("0723C80DB5F4CD3E"), mab, mac), "E_MAC_MISMATCH");
});

// blog.csdn.net/zfr_xuexiao66/article/details/94665452: 3DES MAK, MAB of 322 bytes, every step shown.
const CSDN_MAB = H(
  "08300000000002C000153030363730303436343238393733373031373933323330303200110000000137200277319F06" +
    "05A0000003339F220103DF050832303234313233319F0605A0000003339F220104DF050832303234313233319F0605A00000" +
    "03339F220102DF050832303231313233319F0605A0000000039F220107DF050832303137313233319F0605A0000000039F22" +
    "0108DF050832303233313233319F0605A0000000039F220109DF050832303233313233319F0605A0000000659F220110DF05" +
    "0832303232313233319F0605A0000000659F220112DF050832303232313233319F0605A0000000659F220114DF0508323032" +
    "32313233319F0605A0000000049F220104DF050832303137313233319F0605A0000000049F220105DF050832303231313233" +
    "319F0605A0000000049F220106DF05083230323131323331",
);

test("CUP ECB MAC, 3DES form: public worked example (TAK 55036372..D6C4 -> 5FE058DB)", () => {
  const tak = H("55036372B17543ECB173730768B8D6C4");
  assert.is(hex(computeMac("cup-ecb-3des", tak, CSDN_MAB)), "3546453035384442");
  const ref = cupRef((b) => desE(tak, b), Buffer.from(CSDN_MAB), 8);
  assert.is(ref.xor, "1212B04E1227809C");
  assert.is(desE(tak, Buffer.from("1212B04E", "latin1")).toString("hex").toUpperCase(), "8B29461A844BA5EC");
  assert.is(ref.mac, "5FE058DB");
});

test("CUP ECB MAC: regression seeds of vectors.md (computed from [sand] util.c, not published)", () => {
  assert.is(String.fromCharCode(...computeMac("cup-ecb", H("5CBE7E38A146FD5C"), H("010203"))), "F11F2C27");
  const d = new Uint8Array(33).map((_, i) => i);
  assert.is(String.fromCharCode(...computeMac("cup-ecb", H("0123456789ABCDEF"), d.subarray(0, 32))), "DFB656BD");
  assert.is(String.fromCharCode(...computeMac("cup-ecb", H("0123456789ABCDEF"), d)), "4A202BF5");
});

test("AES-CMAC: RFC 4493 examples 1-4", () => {
  const k = H("2b7e151628aed2a6abf7158809cf4f3c");
  const m = H(
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
  );
  assert.is(hex(computeMac("aes-cmac", k, new Uint8Array(0))), "BB1D6929E95937287FA37D129B756746");
  assert.is(hex(computeMac("aes-cmac", k, m.subarray(0, 16))), "070A16B46B4D4144F79BDD9DD04A287C");
  assert.is(hex(computeMac("aes-cmac", k, m.subarray(0, 40))), "DFA66747DE9AE63030CA32611497C827");
  assert.is(hex(computeMac("aes-cmac", k, m)), "51F0BEBF7E3B9D92FC49741779363CFE");
  assert.is(hex(computeMac("aes-cmac", k, m, { length: 8 })), "51F0BEBF7E3B9D92");
});

// ---- cross-checks against node:crypto ----------------------------------------------------------------
test("AES-CMAC (128/192/256) vs a CMAC reference built on node:crypto AES-ECB, lengths 0..70", () => {
  for (const kl of [16, 24, 32]) {
    const key = randomBytes(kl);
    const enc = (b: Buffer) => ecbRef(aesName(key, "ecb"), key, b);
    for (let n = 0; n <= 70; n++) {
      const d = randomBytes(n);
      assert.is(hex(computeMac("aes-cmac", key, d)), cmacRef(enc, 16, d).toString("hex").toUpperCase(), `AES-${kl * 8} n=${n}`);
    }
  }
});

test("TDES CMAC vs the reference on des-ede3-ecb (Rb 0x1B)", () => {
  const key = randomBytes(16);
  const c = createCipher("3des", key);
  for (let n = 0; n <= 33; n++) {
    const d = randomBytes(n);
    assert.is(hex(cmac(c, d)), cmacRef((b) => desE(key, b), 8, d).toString("hex").toUpperCase(), `n=${n}`);
  }
});

test("CBC-MAC (alg 1, X9.9) vs node des-ede3-cbc / aes-128-cbc last block, pads 1/2/3", () => {
  for (const kl of [8, 16, 24]) {
    const key = randomBytes(kl);
    for (const pad of [1, 2, 3] as const) {
      for (let n = 0; n <= 25; n++) {
        const d = randomBytes(n);
        const want = cbcLast("des-ede3-cbc", ede3(key), padRef(d, pad, 8), 8).toString("hex").toUpperCase();
        assert.is(hex(computeMac("iso9797-1-alg1", key, d, { pad })), want, `key ${kl} pad ${pad} n=${n}`);
        if (kl === 8) assert.is(hex(computeMac("x9.9", key, d, { pad })), want);
      }
    }
  }
  const aes = randomBytes(16);
  for (let n = 0; n <= 40; n++) {
    const d = randomBytes(n);
    const want = cbcLast("aes-128-cbc", aes, padRef(d, 2, 16), 16).toString("hex").toUpperCase();
    assert.is(hex(computeMac("iso9797-1-alg1", aes, d, { pad: 2, cipher: "aes" })), want, `aes n=${n}`);
  }
});

test("Retail MAC (alg 3, X9.19) vs DES-CBC then D_K' and E_K with node:crypto", () => {
  for (let round = 0; round < 4; round++) {
    const key = randomBytes(16);
    const kl = key.subarray(0, 8);
    const kr = key.subarray(8);
    for (const pad of [1, 2, 3] as const) {
      for (let n = 0; n <= 25; n++) {
        const d = randomBytes(n);
        const h = cbcLast("des-ede3-cbc", ede3(kl), padRef(d, pad, 8), 8);
        const want = desE(kl, desD(kr, h)).toString("hex").toUpperCase();
        assert.is(hex(computeMac("iso9797-1-alg3", key, d, { pad })), want, `pad ${pad} n=${n}`);
      }
    }
  }
});

test("CUP ECB MAC (DES, 3DES, SM4) vs references on node:crypto, lengths 0..70", () => {
  const des = randomBytes(8);
  const tdes = randomBytes(16);
  const sm4 = randomBytes(16);
  for (let n = 0; n <= 70; n++) {
    const d = randomBytes(n);
    assert.is(String.fromCharCode(...computeMac("cup-ecb", des, d)), cupRef((b) => desE(des, b), d, 8).mac, `des n=${n}`);
    assert.is(String.fromCharCode(...computeMac("cup-ecb-3des", tdes, d)), cupRef((b) => desE(tdes, b), d, 8).mac, `3des n=${n}`);
    assert.is(String.fromCharCode(...computeMac("sm4-ecb", sm4, d)), cupRef((b) => ecbRef("sm4-ecb", sm4, b), d, 16).mac, `sm4 n=${n}`);
  }
});

test("SM4 CUP MAC: 16-byte blocks, 32 hex characters (GB/T 32907 key as MAK, checked step by step)", () => {
  const k = H("0123456789ABCDEFFEDCBA9876543210");
  // the SM4 block itself: GB/T 32907-2016 appendix A
  assert.is(ecbRef("sm4-ecb", Buffer.from(k), Buffer.from(k)).toString("hex").toUpperCase(), "681EDF34D206965E86B3E94F536E4246");
  const c = createCipher("sm4", k);
  const out = new Uint8Array(16);
  c.encryptBlock(k, 0, out, 0);
  assert.is(hex(out), "681EDF34D206965E86B3E94F536E4246");
  const d = A("0200 sm4 mac test data, 40 bytes long!!");
  assert.is(String.fromCharCode(...cupEcbMac(c, d)), cupRef((b) => ecbRef("sm4-ecb", Buffer.from(k), b), Buffer.from(d), 16).mac);
});

// ---- API behaviour -------------------------------------------------------------------------------------
test("verifyMac: accepts the MAC, a truncated MAC, and rejects a flipped bit with E_MAC_MISMATCH", () => {
  const k = H("4141414141414141 4242424242424242");
  verifyMac("x9.19", k, HELLO, H("3DDE5C5511661CBF"));
  verifyMac("x9.19", k, HELLO, H("3DDE5C55"));
  throwsCode(() => verifyMac("x9.19", k, HELLO, H("3DDE5C5511661CBE")), "E_MAC_MISMATCH");
  throwsCode(() => verifyMac("x9.19", k, A("hello worle"), H("3DDE5C5511661CBF")), "E_MAC_MISMATCH");
  throwsCode(() => verifyMac("x9.19", k, HELLO, H("3DDE5C")), "E_MAC_LENGTH");
  const aes = H("2b7e151628aed2a6abf7158809cf4f3c");
  verifyMac("aes-cmac", aes, new Uint8Array(0), H("BB1D6929E95937287FA37D129B756746"));
  throwsCode(() => verifyMac("aes-cmac", aes, new Uint8Array(1), H("BB1D6929E95937287FA37D129B756746")), "E_MAC_MISMATCH");
});

test("errors: key lengths, padding, output length, algorithm", () => {
  throwsCode(() => computeMac("cup-ecb", new Uint8Array(16), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("cup-ecb-3des", new Uint8Array(8), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("x9.9", new Uint8Array(16), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("x9.19", new Uint8Array(8), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("aes-cmac", new Uint8Array(8), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("sm4-ecb", new Uint8Array(8), HELLO), "E_KEY_LENGTH");
  throwsCode(() => computeMac("x9.19", new Uint8Array(16), HELLO, { pad: 4 as 1 }), "E_MAC_PAD");
  throwsCode(() => computeMac("x9.9", new Uint8Array(8), HELLO, { length: 3 }), "E_MAC_LENGTH");
  throwsCode(() => computeMac("x9.9", new Uint8Array(8), HELLO, { length: 9 }), "E_MAC_LENGTH");
  throwsCode(() => computeMac("cup-ecb", new Uint8Array(8), HELLO, { length: 4 }), "E_MAC_LENGTH");
  throwsCode(() => computeMac("hmac" as MacAlgorithm, new Uint8Array(8), HELLO), "E_MAC_ALG");
  throwsCode(() => padIso9797(HELLO, 0 as 1), "E_MAC_PAD");
});

test("low-level entries agree with computeMac and write the CUP MAC in place", () => {
  const k = randomBytes(8);
  const d = randomBytes(37);
  const c = createCipher("des", k);
  assert.is(hex(cbcMac(c, d, 2, 4)), hex(computeMac("x9.9", k, d, { pad: 2, length: 4 })));
  const frame = new Uint8Array(d.length + 8);
  frame.set(d);
  cupEcbMac(c, d, frame, d.length);
  assert.is(hex(frame.subarray(d.length)), hex(computeMac("cup-ecb", k, d)));
  // the input is never modified
  const copy = Uint8Array.from(d);
  computeMac("iso9797-1-alg3", randomBytes(16), d, { pad: 3 });
  assert.is(hex(d), hex(copy));
});

test.run();
