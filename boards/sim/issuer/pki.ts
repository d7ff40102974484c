/**
 * The simulator's EMV public-key infrastructure (Node, node:crypto): the test certification authority,
 * issuer and ICC RSA keys (test-keys.ts), and the signed objects of EMV 4.x Book 2 built with them:
 * - issuer public key certificate (90/92/9F32, format 02, Table 6), signed by the CA;
 * - ICC public key certificate (9F46/9F48/9F47, format 04, Table 14), signed by the issuer, over the
 *   static data to be authenticated;
 * - signed static application data (93, format 03, Table 7) for SDA;
 * - signed dynamic application data (9F4B, format 05, Tables 17 and 19) for DDA and CDA.
 * Raw RSA with the private key is privateEncrypt with RSA_NO_PADDING. Hash: SHA-1 (indicator 01).
 */
import { constants, createHash, createPrivateKey, privateEncrypt, type KeyObject } from "node:crypto";
import { TEST_KEYS } from "./test-keys.ts";
import { H, hex } from "./crypto.ts";

export interface RsaKey {
  name: string;
  /** Modulus, big-endian. */
  n: Uint8Array;
  /** Public exponent bytes (03 or 010001). */
  e: Uint8Array;
  priv: KeyObject;
}

const cache = new Map<string, RsaKey>();

/** A key of test-keys.ts by name: ca80, issuerA, issuerB, icc1..icc8. */
export function testKey(name: string): RsaKey {
  let k = cache.get(name);
  if (!k) {
    const pem = TEST_KEYS[name];
    if (!pem) throw new Error(`no test key ${name}`);
    const priv = createPrivateKey(pem);
    const jwk = priv.export({ format: "jwk" });
    k = { name, n: Uint8Array.from(Buffer.from(jwk.n!, "base64url")), e: Uint8Array.from(Buffer.from(jwk.e!, "base64url")), priv };
    cache.set(name, k);
  }
  return k;
}

/** UnionPay's registered application provider id. */
export const UNIONPAY_RID = "A000000333";

/** The test CA keys the terminal holds as parameters (RID, index, modulus, exponent), hex. */
export interface CaKeyParam {
  rid: string;
  index: number;
  modulus: string;
  exponent: string;
  /** Key expiry, YYMMDD. */
  expiry: string;
}

export function caKeyParams(): CaKeyParam[] {
  const ca = testKey("ca80");
  return [{ rid: UNIONPAY_RID, index: 0x80, modulus: hex(ca.n), exponent: hex(ca.e), expiry: "301231" }];
}

/** X^d mod n: the issuer's or card's signature over a block of exactly the modulus length. */
export function rsaPrivate(key: RsaKey, x: Uint8Array): Uint8Array {
  if (x.length !== key.n.length) throw new Error(`E_RSA_INPUT: ${x.length} bytes for a ${key.n.length}-byte key`);
  return Uint8Array.from(privateEncrypt({ key: key.priv, padding: constants.RSA_NO_PADDING }, Buffer.from(x)));
}

function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return Uint8Array.from(h.digest());
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Wraps `body` (format byte .. last field before the hash) as 6A body hash BC and signs it. */
function signRecoverable(key: RsaKey, body: Uint8Array, hashExtra: Uint8Array[]): Uint8Array {
  const x = cat(Uint8Array.of(0x6a), body, sha1(body, ...hashExtra), Uint8Array.of(0xbc));
  if (x.length !== key.n.length) throw new Error(`E_PKI: ${x.length} bytes to sign with a ${key.n.length}-byte key`);
  return rsaPrivate(key, x);
}

/** Splits a public key modulus into the part a certificate carries (padded with BB) and the remainder. */
function splitKey(n: Uint8Array, room: number): { inCert: Uint8Array; remainder: Uint8Array } {
  if (n.length <= room) {
    const inCert = new Uint8Array(room).fill(0xbb);
    inCert.set(n);
    return { inCert, remainder: new Uint8Array(0) };
  }
  return { inCert: n.subarray(0, room), remainder: n.subarray(room) };
}

export interface IssuerCertificate {
  /** 90 */
  certificate: Uint8Array;
  /** 92 (may be empty) */
  remainder: Uint8Array;
  /** 9F32 */
  exponent: Uint8Array;
}

/**
 * Issuer public key certificate (format 02). `issuerId`: the leftmost 3..8 PAN digits; `expiry` MMYY;
 * `serial` 3 bytes hex.
 */
export function issuerCertificate(ca: RsaKey, issuer: RsaKey, o: { issuerId: string; expiry: string; serial?: string }): IssuerCertificate {
  const nca = ca.n.length;
  const { inCert, remainder } = splitKey(issuer.n, nca - 36);
  const body = cat(
    Uint8Array.of(0x02),
    H(o.issuerId.padEnd(8, "F")),
    H(o.expiry),
    H(o.serial ?? "000001"),
    Uint8Array.of(0x01, 0x01, issuer.n.length, issuer.e.length),
    inCert,
  );
  return { certificate: signRecoverable(ca, body, [remainder, issuer.e]), remainder, exponent: issuer.e };
}

export interface IccCertificate {
  /** 9F46 */
  certificate: Uint8Array;
  /** 9F48 (may be empty) */
  remainder: Uint8Array;
  /** 9F47 */
  exponent: Uint8Array;
}

/** ICC public key certificate (format 04) over the static data to be authenticated. */
export function iccCertificate(issuer: RsaKey, icc: RsaKey, o: { pan: string; expiry: string; serial?: string; staticData: Uint8Array }): IccCertificate {
  const ni = issuer.n.length;
  const { inCert, remainder } = splitKey(icc.n, ni - 42);
  const body = cat(Uint8Array.of(0x04), H(o.pan.padEnd(20, "F")), H(o.expiry), H(o.serial ?? "000001"), Uint8Array.of(0x01, 0x01, icc.n.length, icc.e.length), inCert);
  return { certificate: signRecoverable(issuer, body, [remainder, icc.e, o.staticData]), remainder, exponent: icc.e };
}

/** Signed static application data (93, format 03) with the data authentication code (9F45). */
export function signedStaticData(issuer: RsaKey, dac: Uint8Array, staticData: Uint8Array): Uint8Array {
  const pad = new Uint8Array(issuer.n.length - 26).fill(0xbb);
  return signRecoverable(issuer, cat(Uint8Array.of(0x03, 0x01), dac, pad), [staticData]);
}

/**
 * Signed dynamic application data (9F4B, format 05): `iccDynamicData` (for DDA: length || ICC dynamic
 * number; for CDA: that, CID, AC and the transaction data hash code), hashed with `terminalData` (the
 * DDOL data for DDA, the unpredictable number for CDA).
 */
export function signedDynamicData(icc: RsaKey, iccDynamicData: Uint8Array, terminalData: Uint8Array): Uint8Array {
  const pad = new Uint8Array(icc.n.length - iccDynamicData.length - 25).fill(0xbb);
  return signRecoverable(icc, cat(Uint8Array.of(0x05, 0x01, iccDynamicData.length), iccDynamicData, pad), [terminalData]);
}

export { sha1, cat };
