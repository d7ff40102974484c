/**
 * The EMV application logic of a virtual card (Node): real application cryptograms with the card's
 * own ICC master keys (EMV common session key derivation), card risk decisions, the card verification
 * results in 9F10, DDA (INTERNAL AUTHENTICATE), CDA and qPBOC fDDA signatures with the card's ICC RSA
 * key, issuer authentication (EXTERNAL AUTHENTICATE, or ARPC in the second GENERATE AC), issuer script
 * commands checked with their secure-messaging MAC, and the qPBOC GPO that answers with the cryptogram.
 *
 * The cryptogram covers the data of boards/sim/issuer/issuer.ts (AC_DATA_TAGS + CVR): the issuer checks
 * what the card computes.
 */
import { createHash } from "node:crypto";
import { acDiversifier, applicationCryptogram, arpcMethod1, deriveCommonSessionKey, scriptCommandMac } from "../../issuer/crypto.ts";
import { acInput } from "../../issuer/issuer.ts";
import { signedDynamicData, testKey } from "../../issuer/pki.ts";
import { hex, tlv, unhex, type AppCrypto, type AppImage } from "./image.ts";

export type AcType = "AAC" | "TC" | "ARQC";

const CID: Record<AcType, number> = { AAC: 0x00, TC: 0x40, ARQC: 0x80 };

/** One transaction's card state (from SELECT to the end). */
export class CardTransaction {
  pdolData: Uint8Array = new Uint8Array(0);
  cdol1Data: Uint8Array | undefined;
  firstType: AcType | undefined;
  secondType: AcType | undefined;
  arqc: Uint8Array | undefined;
  issuerAuth: "none" | "ok" | "failed" = "none";
  offlinePinPerformed = false;
  offlinePinFailed = false;
  dynamicNumber: Uint8Array | undefined;
  scriptsOk = 0;
  scriptsFailed = 0;
}

/** Tag -> value view of DOL data, by the DOL's entries. */
export function dolValues(dol: Uint8Array | undefined, data: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (!dol) return out;
  let p = 0;
  let o = 0;
  while (p < dol.length) {
    let tag = dol[p++]!;
    if ((tag & 0x1f) === 0x1f) {
      do tag = (tag << 8) | dol[p++]!;
      while (dol[p - 1]! & 0x80);
    }
    const len = dol[p++]!;
    out.set(tag, data.subarray(o, o + len));
    o += len;
  }
  return out;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function typeBits(t: AcType | undefined): number {
  return t === "AAC" ? 0 : t === "TC" ? 1 : t === "ARQC" ? 2 : 2;
}

/**
 * Card verification results (4 bytes, first = its length 03), simplified from the PBOC/CCD layout:
 * byte 1: b8-7 second AC type (00 AAC, 01 TC, 10 not requested), b6-5 first AC type (00 AAC, 01 TC,
 * 10 ARQC), b4 issuer authentication failed, b3 offline PIN performed, b2 offline PIN failed;
 * byte 2: b7 PIN try limit exceeded; byte 3: scripts processed (high nibble), script failed (b1).
 */
export function cvr(tx: CardTransaction, pinTries: number): Uint8Array {
  const b1 = (tx.secondType ? typeBits(tx.secondType) << 6 : 0x80) | (typeBits(tx.firstType) << 4) | (tx.issuerAuth === "failed" ? 0x08 : 0) | (tx.offlinePinPerformed ? 0x04 : 0) | (tx.offlinePinFailed ? 0x02 : 0);
  const b2 = pinTries === 0 ? 0x40 : 0;
  const b3 = (Math.min(tx.scriptsOk + tx.scriptsFailed, 15) << 4) | (tx.scriptsFailed ? 1 : 0);
  return Uint8Array.of(0x03, b1, b2, b3);
}

export function iad(c: AppCrypto, cvrBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(7);
  out[0] = 0x07;
  out[1] = c.dki;
  out[2] = c.cvn;
  out.set(cvrBytes, 3);
  return out;
}

export interface AcResult {
  type: AcType;
  cid: number;
  ac: Uint8Array;
  iad: Uint8Array;
}

/**
 * The card's GENERATE AC decision and cryptogram. First AC: AAC when asked (or the application is
 * blocked), ARQC for an ARQC request, and for a TC request ARQC unless the card approves offline.
 * Second AC: AAC when asked; TC when asked unless issuer authentication is required and did not succeed.
 */
export function generateCryptogram(o: { app: AppImage; tx: CardTransaction; requested: AcType; second: boolean; dolData: Map<number, Uint8Array>; atc: number; pinTries: number; blocked: boolean }): AcResult {
  const c = o.app.crypto!;
  let type: AcType;
  if (o.requested === "AAC" || o.blocked) type = "AAC";
  // (A qPBOC card decided in its GPO already: a TC request there is its own choice.)
  else if (!o.second) type = o.requested === "ARQC" ? "ARQC" : c.firstAc === "offline" || c.qpboc ? "TC" : "ARQC";
  else type = o.requested === "TC" && c.issuerAuthRequired && o.tx.issuerAuth !== "ok" ? "AAC" : o.requested === "ARQC" ? "AAC" : o.requested;
  if (o.second) o.tx.secondType = type;
  else o.tx.firstType = type;
  const iadBytes = iad(c, cvr(o.tx, o.pinTries));
  const aip = unhex(o.app.aip);
  const data = acInput((tag) => (tag === 0x82 ? aip : tag === 0x9f36 ? u16(o.atc) : tag === 0x9f10 ? iadBytes : o.dolData.get(tag)));
  const ac = applicationCryptogram(deriveCommonSessionKey(unhex(c.mkAc), acDiversifier(o.atc)), data);
  // The first cryptogram is the "ARQC" of the secure-messaging key derivation (R = AC).
  if (!o.second) o.tx.arqc = ac;
  return { type, cid: CID[type], ac, iad: iadBytes };
}

/** EXTERNAL AUTHENTICATE / ARPC in CDOL2: method 1 (ARPC 8 || ARC 2) checked with the AC session key. */
export function checkArpc(app: AppImage, tx: CardTransaction, atc: number, issuerAuthData: Uint8Array): boolean {
  const c = app.crypto!;
  if (!tx.arqc || issuerAuthData.length < 10) {
    tx.issuerAuth = "failed";
    return false;
  }
  const sk = deriveCommonSessionKey(unhex(c.mkAc), acDiversifier(atc));
  const want = arpcMethod1(sk, tx.arqc, issuerAuthData.subarray(8, 10));
  const ok = hex(want) === hex(issuerAuthData.subarray(0, 8));
  tx.issuerAuth = ok ? "ok" : "failed";
  return ok;
}

/** Checks the MAC (last 8 bytes) of a secure-messaging script command; returns the plain data or undefined. */
export function checkScriptMac(app: AppImage, tx: CardTransaction, atc: number, cla: number, ins: number, p1: number, p2: number, data: Uint8Array): Uint8Array | undefined {
  const c = app.crypto!;
  if (!tx.arqc || data.length < 8) return undefined;
  const plain = data.subarray(0, data.length - 8);
  const skSmi = deriveCommonSessionKey(unhex(c.mkSmi), tx.arqc);
  const mac = scriptCommandMac(skSmi, Uint8Array.of(cla, ins, p1, p2, data.length), u16(atc), tx.arqc, plain);
  return hex(mac) === hex(data.subarray(data.length - 8)) ? plain : undefined;
}

/** The ICC dynamic number of this transaction (8 bytes, from the ATC and the terminal's data). */
export function dynamicNumber(tx: CardTransaction, atc: number, seed: Uint8Array): Uint8Array {
  if (!tx.dynamicNumber) tx.dynamicNumber = Uint8Array.from(createHash("sha256").update(u16(atc)).update(seed).digest().subarray(0, 8));
  return tx.dynamicNumber;
}

/** DDA: the signed dynamic application data over the DDOL data (format 05, ICC dynamic data = 08 || number). */
export function internalAuthenticate(app: AppImage, tx: CardTransaction, atc: number, ddolData: Uint8Array, signingKey: string): Uint8Array {
  const n = dynamicNumber(tx, atc, ddolData);
  const dyn = new Uint8Array(1 + n.length);
  dyn[0] = n.length;
  dyn.set(n, 1);
  return signedDynamicData(testKey(signingKey), dyn, ddolData);
}

/**
 * CDA: the GENERATE AC answer with 9F4B. ICC dynamic data = 08 || dynamic number || CID || AC || transaction
 * data hash code (SHA-1 of PDOL data, CDOL1 data, [CDOL2 data], then the answer's TLVs but 9F4B, in order).
 */
export function cdaAnswer(o: { signingKey: string; tx: CardTransaction; atc: number; result: AcResult; cdolData: Uint8Array; un: Uint8Array; second: boolean }): Uint8Array {
  const cidT = tlv("9F27", o.result.cid.toString(16).padStart(2, "0"));
  const atcT = tlv("9F36", o.atc.toString(16).padStart(4, "0"));
  const iadT = tlv("9F10", hex(o.result.iad));
  const h = createHash("sha1").update(o.tx.pdolData);
  if (o.second) h.update(o.tx.cdol1Data ?? new Uint8Array(0));
  h.update(o.cdolData).update(unhex(cidT + atcT + iadT));
  const tdhc = h.digest();
  const n = dynamicNumber(o.tx, o.atc, o.un);
  const dyn = Uint8Array.from([n.length, ...n, o.result.cid, ...o.result.ac, ...tdhc]);
  const sdad = signedDynamicData(testKey(o.signingKey), dyn, o.un);
  return unhex(tlv("77", cidT, atcT, tlv("9F4B", hex(sdad)), iadT));
}

/**
 * qPBOC GPO (the card's side of the contactless fast path): TTQ byte 2 b8 (online cryptogram required)
 * or an amount over the offline balance (9F79) makes an ARQC, else a TC with an fDDA signature (9F4B
 * over UN, amount, currency and the card authentication related data 9F69). CTQ (9F6C) asks for online
 * PIN when the terminal requires a CVM for an online transaction, signature for an offline one.
 */
export function qpbocGpo(o: { app: AppImage; tx: CardTransaction; pdol: Map<number, Uint8Array>; atc: number; pinTries: number; balance: number | undefined; blocked: boolean }): { answer: Uint8Array; newBalance?: number } {
  const c = o.app.crypto!;
  const ttq = o.pdol.get(0x9f66) ?? new Uint8Array(4);
  const amountHex = hex(o.pdol.get(0x9f02) ?? new Uint8Array(6));
  const amount = Number(amountHex);
  const onlineRequired = (ttq[1]! & 0x80) !== 0;
  const cvmRequired = (ttq[1]! & 0x40) !== 0;
  let requested: AcType = onlineRequired || o.balance === undefined || amount > o.balance ? "ARQC" : "TC";
  if ((ttq[0]! & 0x08) !== 0 && requested === "ARQC") requested = "AAC"; // offline-only reader
  const r = generateCryptogram({ app: o.app, tx: o.tx, requested, second: false, dolData: o.pdol, atc: o.atc, pinTries: o.pinTries, blocked: o.blocked });
  const ctq = cvmRequired ? (r.type === "ARQC" ? "8000" : "4000") : "0000";
  const parts = [tlv("82", o.app.aip), tlv("94", o.app.afl), tlv("9F36", o.atc.toString(16).padStart(4, "0")), tlv("9F27", r.cid.toString(16).padStart(2, "0")), tlv("9F26", hex(r.ac)), tlv("9F10", hex(r.iad)), tlv("9F6C", ctq)];
  let newBalance: number | undefined;
  const signer = c.ddaKey ?? c.iccKey;
  if (r.type === "TC" && signer) {
    const cardUn = dynamicNumber(o.tx, o.atc, o.pdol.get(0x9f37) ?? new Uint8Array(4)).subarray(0, 4);
    const card9f69 = Uint8Array.from([0x01, ...cardUn, ...unhex(ctq)]);
    const terminal = Uint8Array.from([...(o.pdol.get(0x9f37) ?? new Uint8Array(4)), ...(o.pdol.get(0x9f02) ?? new Uint8Array(6)), ...(o.pdol.get(0x5f2a) ?? new Uint8Array(2)), ...card9f69]);
    const n = Uint8Array.of(0x02, ...u16(o.atc));
    parts.push(tlv("9F69", hex(card9f69)), tlv("9F4B", hex(signedDynamicData(testKey(signer), n, terminal))));
    newBalance = (o.balance ?? 0) - amount;
    parts.push(tlv("9F5D", newBalance.toString().padStart(12, "0")));
  }
  return { answer: unhex(tlv("77", ...parts)), newBalance };
}
