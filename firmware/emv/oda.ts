/**
 * Offline data authentication (EMV 4.x Book 2 §5-6, Book 3 §10.3): recovery of the issuer public key
 * (certificate format 02) with the CA key of the terminal's parameters, of the ICC public key (format
 * 04, over the static data to be authenticated), SDA (signed static application data 93, format 03),
 * DDA (INTERNAL AUTHENTICATE with the DDOL, signed dynamic data format 05), CDA (the signed dynamic data
 * in the GENERATE AC answer, with the transaction data hash code) and qPBOC fDDA.
 *
 * Every check returns false (the caller sets the TVR bit) rather than throwing; missing data sets
 * "ICC data missing" too. Hash algorithm 01 (SHA-1) and public key algorithm 01 (RSA) only.
 */
import { RsaPublicKey } from "../core/rsa";
import { Sha1 } from "../core/sha1";
import { buildApdu } from "../../hal/card/apdu";
import type { EmvContext } from "./context";
import type { CaPublicKey } from "./types";

export interface RecoveredKey {
  key: RsaPublicKey;
  modulus: Uint8Array;
}

const hasher = new Sha1();

function bcdAt(b: Uint8Array, off: number): number {
  return (b[off]! >> 4) * 10 + (b[off]! & 15);
}

/** Certificate expiry MMYY (at off) is not before the transaction month (YYMMDD). */
function notExpired(cert: Uint8Array, off: number, txDate: string): boolean {
  const mm = bcdAt(cert, off);
  const yy = bcdAt(cert, off + 1);
  const ty = Number(txDate.slice(0, 2));
  const tm = Number(txDate.slice(2, 4));
  // Two-digit years: 50..99 are 19xx (EMV Book 3 §7.1 for dates).
  const cy = yy < 50 ? 2000 + yy : 1900 + yy;
  const tyy = ty < 50 ? 2000 + ty : 1900 + ty;
  return cy * 12 + mm >= tyy * 12 + tm;
}

/** The CA key for the selected application's RID and the card's index (8F), unless expired. */
export function findCaKey(ctx: EmvContext): CaPublicKey | undefined {
  const aid = ctx.data.get(0x4f);
  const idx = ctx.data.get(0x8f);
  if (!aid || !idx || idx.length !== 1 || aid.length < 5) return undefined;
  const keys = ctx.config.caKeys;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.index !== idx[0] || k.rid.length !== 5) continue;
    let same = true;
    for (let j = 0; j < 5; j++) if (k.rid[j] !== aid[j]) same = false;
    if (!same) continue;
    if (k.expiry && k.expiry < ctx.tx.date) return undefined;
    return k;
  }
  return undefined;
}

/** Recovers X = S^e mod n and checks 6A ... BC and the format byte; the recovered block or undefined. */
function recover(key: RsaPublicKey, s: Uint8Array | undefined, format: number): Uint8Array | undefined {
  if (!s || s.length !== key.length) return undefined;
  let x: Uint8Array;
  try {
    x = key.apply(s);
  } catch {
    return undefined;
  }
  if (x[0] !== 0x6a || x[x.length - 1] !== 0xbc || x[1] !== format) return undefined;
  return x;
}

/** SHA-1 of x[1 .. n-21) followed by `extra`, compared with the hash at x[n-21 .. n-1). */
function hashMatches(x: Uint8Array, extra: Array<Uint8Array | undefined>): boolean {
  const n = x.length;
  hasher.reset().update(x, 1, n - 22);
  for (let i = 0; i < extra.length; i++) if (extra[i]) hasher.update(extra[i]!);
  const h = hasher.digest();
  for (let i = 0; i < 20; i++) if (h[i] !== x[n - 21 + i]) return false;
  return true;
}

function concat(parts: Array<Uint8Array | undefined>): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i] ? parts[i]!.length : 0;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i]) continue;
    out.set(parts[i]!, o);
    o += parts[i]!.length;
  }
  return out;
}

/** Issuer public key from 90/92/9F32 (format 02). `missing` is set when the card lacks the data. */
export function recoverIssuerKey(ctx: EmvContext, status: { missing: boolean }): RecoveredKey | undefined {
  const d = ctx.data;
  const ca = findCaKey(ctx);
  const cert = d.get(0x90);
  const exp = d.get(0x9f32);
  if (!d.has(0x8f) || !cert || !exp) status.missing = true;
  if (!ca || !cert || !exp) return undefined;
  let caKey: RsaPublicKey;
  try {
    caKey = new RsaPublicKey(ca.modulus, ca.exponent);
  } catch {
    return undefined;
  }
  const x = recover(caKey, cert, 0x02);
  if (!x) return undefined;
  const nca = x.length;
  const ni = x[13]!;
  const eLen = x[14]!;
  const rem = d.get(0x92);
  if (x[11] !== 0x01 || x[12] !== 0x01 || eLen !== exp.length) return undefined;
  if (ni > nca - 36 && (!rem || rem.length !== ni - (nca - 36))) {
    if (!rem) status.missing = true;
    return undefined;
  }
  if (!hashMatches(x, [rem, exp])) return undefined;
  // Issuer identifier: the leftmost 3..8 PAN digits, padded with F.
  const pan = ctx.pan();
  let id = "";
  for (let i = 2; i < 6; i++) id += (x[i]! < 16 ? "0" : "") + x[i]!.toString(16).toUpperCase();
  const f = id.indexOf("F");
  const idDigits = f >= 0 ? id.slice(0, f) : id;
  if (idDigits.length < 3 || pan.slice(0, idDigits.length) !== idDigits) return undefined;
  if (!notExpired(x, 6, ctx.tx.date)) return undefined;
  const modulus = ni <= nca - 36 ? x.slice(15, 15 + ni) : concat([x.subarray(15, nca - 21), rem]);
  try {
    return { key: new RsaPublicKey(modulus, exp), modulus };
  } catch {
    return undefined;
  }
}

/** The static data to be authenticated, with the AIP when the SDA tag list (9F4A) names 82. */
export function staticDataToAuthenticate(ctx: EmvContext): Uint8Array | undefined {
  if (ctx.odaRecordError) return undefined;
  const list = ctx.data.get(0x9f4a);
  let aip: Uint8Array | undefined;
  if (list) {
    if (list.length !== 1 || list[0] !== 0x82) return undefined; // only the AIP may be listed
    aip = ctx.data.get(0x82);
  }
  return concat([...ctx.staticData, aip]);
}

/** ICC public key from 9F46/9F48/9F47 (format 04), signed by the issuer over the static data. */
export function recoverIccKey(ctx: EmvContext, issuer: RecoveredKey, status: { missing: boolean }): RecoveredKey | undefined {
  const d = ctx.data;
  const cert = d.get(0x9f46);
  const exp = d.get(0x9f47);
  if (!cert || !exp) {
    status.missing = true;
    return undefined;
  }
  const x = recover(issuer.key, cert, 0x04);
  if (!x) return undefined;
  const ni = x.length;
  const nic = x[19]!;
  const rem = d.get(0x9f48);
  if (x[17] !== 0x01 || x[18] !== 0x01 || x[20] !== exp.length) return undefined;
  if (nic > ni - 42 && (!rem || rem.length !== nic - (ni - 42))) {
    if (!rem) status.missing = true;
    return undefined;
  }
  const sdata = staticDataToAuthenticate(ctx);
  if (!sdata) return undefined;
  if (!hashMatches(x, [rem, exp, sdata])) return undefined;
  // PAN in the certificate (10 bytes, F padded) equals 5A.
  let certPan = "";
  for (let i = 2; i < 12; i++) certPan += (x[i]! < 16 ? "0" : "") + x[i]!.toString(16).toUpperCase();
  const f = certPan.indexOf("F");
  if ((f >= 0 ? certPan.slice(0, f) : certPan) !== ctx.pan()) return undefined;
  if (!notExpired(x, 12, ctx.tx.date)) return undefined;
  const modulus = nic <= ni - 42 ? x.slice(21, 21 + nic) : concat([x.subarray(21, ni - 21), rem]);
  try {
    return { key: new RsaPublicKey(modulus, exp), modulus };
  } catch {
    return undefined;
  }
}

/** SDA: 93 (format 03) over the static data; stores the data authentication code 9F45. */
export function verifySda(ctx: EmvContext, status: { missing: boolean }): boolean {
  const issuer = recoverIssuerKey(ctx, status);
  const ssad = ctx.data.get(0x93);
  if (!ssad) status.missing = true;
  if (!issuer || !ssad) return false;
  const x = recover(issuer.key, ssad, 0x03);
  if (!x || x[2] !== 0x01) return false;
  const sdata = staticDataToAuthenticate(ctx);
  if (!sdata || !hashMatches(x, [sdata])) return false;
  ctx.data.set(0x9f45, x, 3, 2);
  return true;
}

/**
 * Checks signed dynamic application data (format 05) with the ICC key: `terminalData` is hashed after
 * the recovered data. Returns the ICC dynamic data or undefined.
 */
export function verifySdad(icc: RecoveredKey, sdad: Uint8Array | undefined, terminalData: Uint8Array): Uint8Array | undefined {
  const x = recover(icc.key, sdad, 0x05);
  if (!x || x[2] !== 0x01) return undefined;
  const ldd = x[3]!;
  if (4 + ldd > x.length - 21) return undefined;
  if (!hashMatches(x, [terminalData])) return undefined;
  return x.slice(4, 4 + ldd);
}

/** DDA: INTERNAL AUTHENTICATE with the DDOL data (card's 9F49 or the terminal default, with 9F37). */
export async function performDda(ctx: EmvContext, icc: RecoveredKey, status: { missing: boolean }): Promise<boolean> {
  const ddol = ctx.data.get(0x9f49) ?? ctx.aid?.defaultDdol;
  if (!ddol || !ctx.dolHas(ddol, 0x9f37)) {
    if (!ctx.data.has(0x9f49)) status.missing = true;
    return false;
  }
  const ddolData = ctx.dolData(ddol);
  const r = await ctx.transmit(buildApdu(0x00, 0x88, 0x00, 0x00, ddolData, 256));
  if (r.sw !== 0x9000 || r.data.length < 3) return false;
  let sdad: Uint8Array | undefined;
  if (r.data[0] === 0x80) {
    ctx.data.absorb(r.data);
    sdad = ctx.data.get(0x80);
    ctx.data.delete(0x80);
  } else if (r.data[0] === 0x77) {
    ctx.data.absorb(r.data);
    sdad = ctx.data.get(0x9f4b);
  }
  if (sdad) ctx.data.set(0x9f4b, sdad);
  const dyn = verifySdad(icc, sdad, ddolData);
  if (!dyn || dyn.length < 1 || dyn[0]! + 1 > dyn.length) return false;
  ctx.data.set(0x9f4c, dyn, 1, dyn[0]!);
  return true;
}

/**
 * CDA (Book 2 §6.6.2): the SDAD of a GENERATE AC answer, hashed with the unpredictable number; its ICC
 * dynamic data carries CID, AC and the transaction data hash code (SHA-1 of the PDOL data, CDOL1 data,
 * CDOL2 data for the second AC, and the answer's data objects but 9F4B, in order). Stores 9F26 and 9F4C.
 */
export function verifyCda(ctx: EmvContext, icc: RecoveredKey, answer: Uint8Array, second: boolean): boolean {
  const sdad = ctx.data.get(0x9f4b);
  const un = ctx.data.get(0x9f37);
  if (!sdad || !un) return false;
  const dyn = verifySdad(icc, sdad, un);
  if (!dyn) return false;
  const ln = dyn[0]!;
  if (dyn.length < 1 + ln + 1 + 8 + 20) return false;
  const cid = ctx.data.get(0x9f27);
  if (!cid || cid[0] !== dyn[1 + ln]) return false;
  // Transaction data hash code over the DOL data and the answer's objects except 9F4B.
  hasher.reset().update(ctx.pdolData).update(ctx.cdol1Data);
  if (second) hasher.update(ctx.cdol2Data);
  if (answer[0] !== 0x77) return false;
  let p = answer[1]! & 0x80 ? 2 + (answer[1]! & 0x7f) : 2;
  while (p < answer.length) {
    const start = p;
    let tag = answer[p++]!;
    if ((tag & 0x1f) === 0x1f) {
      do tag = (tag << 8) | answer[p++]!;
      while (answer[p - 1]! & 0x80);
    }
    let len = answer[p++]!;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = (len << 8) | answer[p++]!;
    }
    if (tag !== 0x9f4b) hasher.update(answer, start, p + len - start);
    p += len;
  }
  const h = hasher.digest();
  const off = 1 + ln + 1 + 8;
  for (let i = 0; i < 20; i++) if (h[i] !== dyn[off + i]) return false;
  ctx.data.set(0x9f4c, dyn, 1, ln);
  ctx.data.set(0x9f26, dyn, 2 + ln, 8);
  return true;
}

/** qPBOC fDDA (version 01): the GPO's 9F4B over UN, amount, currency and 9F69. */
export function verifyFdda(ctx: EmvContext, icc: RecoveredKey): boolean {
  const d = ctx.data;
  const car = d.get(0x9f69);
  if (!car || car[0] !== 0x01) return false;
  const terminal = concat([d.get(0x9f37), d.get(0x9f02), d.get(0x5f2a), car]);
  const dyn = verifySdad(icc, d.get(0x9f4b), terminal);
  if (!dyn) return false;
  d.set(0x9f4c, dyn, 1, Math.min(dyn[0]!, dyn.length - 1));
  return true;
}
