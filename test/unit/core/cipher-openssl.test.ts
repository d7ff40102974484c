/**
 * Property tests of the core ciphers against OpenSSL (node:crypto): random keys, data and IVs, ECB and
 * CBC, both directions, for every cipher OpenSSL offers here: des-ede3, des-ede (2-key), sm4, aes-128/
 * 192/256. Single DES (`des-ecb`/`des-cbc`) lives in OpenSSL 3's legacy provider, which Node does not
 * load by default: it is checked in a child `node --openssl-legacy-provider`, and in-process through
 * des-ede with K1 = K2 (which is single DES).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv, getCiphers, randomBytes, randomInt } from "node:crypto";
import { spawnSync } from "node:child_process";
import { createCipher, ecbEncrypt, ecbDecrypt, cbcEncrypt, cbcDecrypt } from "../../../firmware/core/modes.ts";
import type { CipherAlgorithm } from "../../../firmware/core/cipher.ts";

const CASES = 300;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function openssl(name: string, encrypt: boolean, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): string {
  const c = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return hex(Buffer.concat([c.update(data), c.final()]));
}

interface Spec {
  alg: CipherAlgorithm;
  keyLen: number;
  bs: number;
  ecb: string;
  cbc: string;
}

const SPECS: Spec[] = [
  { alg: "3des", keyLen: 24, bs: 8, ecb: "des-ede3-ecb", cbc: "des-ede3-cbc" },
  { alg: "3des", keyLen: 16, bs: 8, ecb: "des-ede-ecb", cbc: "des-ede-cbc" },
  { alg: "sm4", keyLen: 16, bs: 16, ecb: "sm4-ecb", cbc: "sm4-cbc" },
  { alg: "aes", keyLen: 16, bs: 16, ecb: "aes-128-ecb", cbc: "aes-128-cbc" },
  { alg: "aes", keyLen: 24, bs: 16, ecb: "aes-192-ecb", cbc: "aes-192-cbc" },
  { alg: "aes", keyLen: 32, bs: 16, ecb: "aes-256-ecb", cbc: "aes-256-cbc" },
];

test("OpenSSL here offers the ciphers these properties check", () => {
  const have = new Set(getCiphers());
  for (const s of SPECS) {
    assert.ok(have.has(s.ecb), s.ecb);
    assert.ok(have.has(s.cbc), s.cbc);
  }
});

for (const s of SPECS) {
  test(`${s.ecb} / ${s.cbc}: ${CASES} random keys, data and IVs, both directions, vs OpenSSL`, () => {
    for (let i = 0; i < CASES; i++) {
      const key = randomBytes(s.keyLen);
      const data = randomBytes(s.bs * randomInt(1, 9));
      const iv = randomBytes(s.bs);
      const c = createCipher(s.alg, key);
      const what = `key ${hex(key)} data ${hex(data)} iv ${hex(iv)}`;
      assert.is(hex(ecbEncrypt(c, data)), openssl(s.ecb, true, key, null, data), `ECB-E ${what}`);
      assert.is(hex(ecbDecrypt(c, data)), openssl(s.ecb, false, key, null, data), `ECB-D ${what}`);
      assert.is(hex(cbcEncrypt(c, data, iv)), openssl(s.cbc, true, key, iv, data), `CBC-E ${what}`);
      assert.is(hex(cbcDecrypt(c, data, iv)), openssl(s.cbc, false, key, iv, data), `CBC-D ${what}`);
      // In place gives the same as into a new buffer, and decrypting undoes encrypting.
      const buf = Uint8Array.from(data);
      cbcEncrypt(c, buf, iv, buf);
      assert.is(hex(buf), openssl(s.cbc, true, key, iv, data), `CBC-E in place ${what}`);
      cbcDecrypt(c, buf, iv, buf);
      assert.is(hex(buf), hex(data), `CBC round trip in place ${what}`);
    }
  });
}

test(`des: ${CASES} random keys as single DES = des-ede with K1 = K2 (OpenSSL default provider)`, () => {
  for (let i = 0; i < CASES; i++) {
    const key = randomBytes(8);
    const kk = Buffer.concat([key, key]);
    const data = randomBytes(8 * randomInt(1, 9));
    const iv = randomBytes(8);
    const c = createCipher("des", key);
    assert.is(hex(ecbEncrypt(c, data)), openssl("des-ede-ecb", true, kk, null, data));
    assert.is(hex(ecbDecrypt(c, data)), openssl("des-ede-ecb", false, kk, null, data));
    assert.is(hex(cbcEncrypt(c, data, iv)), openssl("des-ede-cbc", true, kk, iv, data));
    assert.is(hex(cbcDecrypt(c, data, iv)), openssl("des-ede-cbc", false, kk, iv, data));
  }
});

test(`des: ${CASES} random cases vs OpenSSL des-ecb/des-cbc (legacy provider, child process)`, () => {
  const cases = Array.from({ length: CASES }, () => ({ key: hex(randomBytes(8)), iv: hex(randomBytes(8)), data: hex(randomBytes(8 * randomInt(1, 9))) }));
  const script = `
    const c = require("node:crypto");
    const run = (n, e, k, iv, d) => { const x = e ? c.createCipheriv(n, Buffer.from(k, "hex"), iv ? Buffer.from(iv, "hex") : null) : c.createDecipheriv(n, Buffer.from(k, "hex"), iv ? Buffer.from(iv, "hex") : null); x.setAutoPadding(false); return Buffer.concat([x.update(Buffer.from(d, "hex")), x.final()]).toString("hex"); };
    const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    process.stdout.write(JSON.stringify(cases.map((t) => [run("des-ecb", true, t.key, null, t.data), run("des-ecb", false, t.key, null, t.data), run("des-cbc", true, t.key, t.iv, t.data), run("des-cbc", false, t.key, t.iv, t.data)])));`;
  const r = spawnSync(process.execPath, ["--openssl-legacy-provider", "-e", script], { input: JSON.stringify(cases), encoding: "utf8" });
  assert.is(r.status, 0, `legacy-provider child failed: ${r.stderr}`);
  const expected = JSON.parse(r.stdout) as string[][];
  cases.forEach((t, i) => {
    const c = createCipher("des", Buffer.from(t.key, "hex"));
    const data = Buffer.from(t.data, "hex");
    const iv = Buffer.from(t.iv, "hex");
    assert.equal([hex(ecbEncrypt(c, data)), hex(ecbDecrypt(c, data)), hex(cbcEncrypt(c, data, iv)), hex(cbcDecrypt(c, data, iv))], expected[i], `case ${JSON.stringify(t)}`);
  });
});

test.run();
