/**
 * RSA public operation (13-bit-limb Montgomery) against node:crypto: raw RSA (RSA_NO_PADDING) with
 * random keys of EMV sizes and both EMV exponents, round trips with the private key, and the errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { RsaPublicKey, rsaPublic } from "../../../firmware/core/rsa.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function keyPair(bits: number, e: number): { n: Buffer; e: Buffer; pub: KeyObject; priv: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: e });
  const jwk = publicKey.export({ format: "jwk" });
  return { n: Buffer.from(jwk.n!, "base64url"), e: Buffer.from(jwk.e!, "base64url"), pub: publicKey, priv: privateKey };
}

/** A random value below n (same length, top byte below n's). */
function below(n: Buffer): Buffer {
  const x = randomBytes(n.length);
  x[0] = Math.floor(Math.random() * n[0]!);
  return x;
}

const raw = (pub: KeyObject, x: Uint8Array) => publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, x);

for (const e of [3, 65537]) {
  test(`e=${e}: random keys of 512..1984 bits, x^e mod n equals node:crypto raw RSA`, () => {
    for (const bits of [512, 768, 1024, 1152, 1408, 1536, 1976, 1984]) {
      const k = keyPair(bits, e);
      const key = new RsaPublicKey(k.n, k.e);
      assert.is(key.length, bits / 8);
      for (let i = 0; i < 4; i++) {
        const x = below(k.n);
        assert.is(hex(key.apply(x)), hex(raw(k.pub, x)), `${bits} bits`);
      }
      // Edge values: 0, 1, 2, n-1.
      const nm1 = Buffer.from(k.n);
      nm1[nm1.length - 1]! -= 1;
      for (const x of [Buffer.alloc(k.n.length), Buffer.concat([Buffer.alloc(k.n.length - 1), Buffer.from([1])]), Buffer.concat([Buffer.alloc(k.n.length - 1), Buffer.from([2])]), nm1])
        assert.is(hex(key.apply(x)), hex(raw(k.pub, x)));
    }
  });
}

test("recovery of a private-key transform (what EMV signature recovery does): S = x^d, S^e = x", () => {
  for (const e of [3, 65537]) {
    const k = keyPair(1024, e);
    const x = below(k.n);
    const s = privateDecrypt({ key: k.priv, padding: constants.RSA_NO_PADDING }, x);
    assert.is(hex(rsaPublic(k.n, e, s)), hex(x));
  }
});

test("odd bit lengths (moduli not a multiple of 8 bits in the top byte) and output into a buffer", () => {
  for (const bits of [520, 777, 1000]) {
    const k = keyPair(bits, 65537);
    const key = new RsaPublicKey(k.n, 65537);
    const x = below(k.n);
    const out = new Uint8Array(k.n.length + 3);
    key.apply(x, out, 3);
    assert.is(hex(out.subarray(3)), hex(raw(k.pub, x)));
  }
});

test("errors: exponent other than 3/65537, even modulus, leading zero, input not below n or of the wrong size", () => {
  const k = keyPair(512, 3);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code: string }).code;
    }
    return "";
  };
  assert.is(code(() => new RsaPublicKey(k.n, 5)), "E_RSA_EXPONENT");
  assert.is(code(() => new RsaPublicKey(k.n, Uint8Array.of(1, 0, 0, 1))), "E_RSA_EXPONENT");
  const even = Buffer.from(k.n);
  even[even.length - 1]! &= 0xfe;
  assert.is(code(() => new RsaPublicKey(even, 3)), "E_RSA_MODULUS");
  assert.is(code(() => new RsaPublicKey(Buffer.concat([Buffer.alloc(1), k.n]), 3)), "E_RSA_MODULUS");
  const key = new RsaPublicKey(k.n, Uint8Array.of(3));
  assert.is(code(() => key.apply(k.n)), "E_RSA_INPUT");
  assert.is(code(() => key.apply(Buffer.alloc(10))), "E_RSA_INPUT");
  assert.is(code(() => key.apply(Buffer.alloc(64, 0xff))), "E_RSA_INPUT");
});

test.run();
