/**
 * Issuer-side EMV symmetric cryptography (Node, node:crypto only: the simulator shares no code with the
 * firmware it tests). EMV 4.x Book 2:
 * - Annex A1.4.1/A1.4.2: ICC master key derivation, option A (and B for PANs over 16 digits), odd parity;
 * - Annex A1.3.1: common session key derivation (R = ATC || 00 * 6 for AC keys, R = ARQC for the
 *   secure-messaging keys);
 * - §8.1 / Annex A1.2: application cryptogram = ISO 9797-1 MAC algorithm 3, padding method 2;
 * - §8.2: ARPC method 1 (3DES of ARQC XOR ARC||00*6) and method 2 (4-byte MAC of ARQC||CSU||prop. data);
 * - §9.2: issuer script command MAC (header with Lc counting the MAC, then ATC, ARQC, data), 8 bytes by default.
 * Vectors: spec/vectors.md (pyemv ac.py / kd.py docstrings) and pyemv sm.py for the script MAC.
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";

export type Bytes = Uint8Array;

const buf = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
export const H = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
export const hex = (b: Bytes): string => Buffer.from(b).toString("hex").toUpperCase();

function check(key: Bytes, n: number, what: string): void {
  if (key.length !== n) throw new Error(`E_KEY_LENGTH: ${what} of ${key.length} bytes, ${n} expected`);
}

/** 2-key 3DES ECB encryption (16-byte key) of whole blocks. */
export function tdesEcb(key: Bytes, data: Bytes, decrypt = false): Uint8Array {
  check(key, 16, "3DES key");
  const c = decrypt ? createDecipheriv("des-ede-ecb", buf(key), null) : createCipheriv("des-ede-ecb", buf(key), null);
  c.setAutoPadding(false);
  return Uint8Array.from(Buffer.concat([c.update(buf(data)), c.final()]));
}

/** Single DES ECB through 3DES with K||K (OpenSSL 3 keeps plain DES in the legacy provider). */
function desEcb(k8: Bytes, block: Bytes, decrypt = false): Uint8Array {
  const k = new Uint8Array(16);
  k.set(k8);
  k.set(k8, 8);
  return tdesEcb(k, block, decrypt);
}

/** Odd parity on every byte (a DES key). */
export function oddParity(key: Bytes): Uint8Array {
  const out = Uint8Array.from(key);
  for (let i = 0; i < out.length; i++) {
    let b = out[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v; v >>= 1) ones += v & 1;
    if (ones % 2 === 0) b |= 1;
    out[i] = b;
  }
  return out;
}

/** ISO 9797-1 padding method 2 (80 then 00 to a multiple of 8). */
export function pad2(data: Bytes): Uint8Array {
  const n = (Math.floor(data.length / 8) + 1) * 8;
  const out = new Uint8Array(n);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** ISO 9797-1 MAC algorithm 3 (retail MAC) with a 16-byte key, padding method 2 (or 1), `length` bytes. */
export function retailMac(key: Bytes, data: Bytes, length = 8, padding: 1 | 2 = 2): Uint8Array {
  check(key, 16, "MAC key");
  let d: Uint8Array;
  if (padding === 2) d = pad2(data);
  else {
    d = new Uint8Array(Math.max(8, Math.ceil(data.length / 8) * 8));
    d.set(data);
  }
  const kl = key.subarray(0, 8);
  const kr = key.subarray(8, 16);
  let h: Uint8Array = new Uint8Array(8);
  for (let p = 0; p < d.length; p += 8) {
    const x = new Uint8Array(8);
    for (let i = 0; i < 8; i++) x[i] = h[i]! ^ d[p + i]!;
    h = desEcb(kl, x);
  }
  h = desEcb(kl, desEcb(kr, h, true));
  return h.subarray(0, length);
}

function panPsnDigits(pan: string, psn: string | undefined): string {
  if (!/^[0-9]{1,19}$/.test(pan)) throw new Error("E_PAN: PAN digits expected");
  const s = psn ?? "00";
  if (!/^[0-9]{2}$/.test(s)) throw new Error("E_PSN: two digits expected");
  return pan + s;
}

function deriveFromY(imk: Bytes, y16: string): Uint8Array {
  const a = H(y16);
  const b = a.map((v) => v ^ 0xff);
  const both = new Uint8Array(16);
  both.set(a);
  both.set(b, 8);
  return oddParity(tdesEcb(imk, both));
}

/** ICC master key, option A: Y = the rightmost 16 digits of PAN || PSN (left-padded with 0). */
export function deriveIccMasterKeyA(imk: Bytes, pan: string, psn?: string): Uint8Array {
  const d = panPsnDigits(pan, psn);
  return deriveFromY(imk, d.slice(-16).padStart(16, "0"));
}

/** ICC master key, option B (PANs over 16 digits; else option A): SHA-1 of PAN || PSN, decimalised. */
export function deriveIccMasterKeyB(imk: Bytes, pan: string, psn?: string): Uint8Array {
  if (pan.length <= 16) return deriveIccMasterKeyA(imk, pan, psn);
  let d = panPsnDigits(pan, psn);
  if (d.length % 2) d = "0" + d;
  const digest = createHash("sha1").update(Buffer.from(d, "hex")).digest("hex");
  let y = [...digest].filter((c) => c >= "0" && c <= "9").join("").slice(0, 16);
  if (y.length < 16) y += [...digest].filter((c) => c >= "a").map((c) => String(c.charCodeAt(0) - 97)).join("").slice(0, 16 - y.length);
  return deriveFromY(imk, y);
}

/** EMV common session key derivation: SK = 3DES(MK)[R with R2 = F0] || 3DES(MK)[R with R2 = 0F], odd parity. */
export function deriveCommonSessionKey(mk: Bytes, r: Bytes): Uint8Array {
  check(r, 8, "diversification value R");
  const x = new Uint8Array(16);
  x.set(r);
  x.set(r, 8);
  x[2] = 0xf0;
  x[10] = 0x0f;
  return oddParity(tdesEcb(mk, x));
}

/** R = ATC || 00 00 00 00 00 00 for the application cryptogram session key. */
export function acDiversifier(atc: number): Uint8Array {
  const r = new Uint8Array(8);
  r[0] = (atc >> 8) & 0xff;
  r[1] = atc & 0xff;
  return r;
}

/** Application cryptogram (ARQC, TC, AAC): MAC alg 3, padding method 2, 8 bytes. */
export function applicationCryptogram(sk: Bytes, data: Bytes): Uint8Array {
  return retailMac(sk, data, 8, 2);
}

/** ARPC method 1: 3DES(SK)[ARQC XOR (ARC || 00*6)] (ARC = the 2-byte authorisation response code). */
export function arpcMethod1(sk: Bytes, arqc: Bytes, arc: Bytes): Uint8Array {
  check(arqc, 8, "ARQC");
  check(arc, 2, "ARC");
  const x = Uint8Array.from(arqc);
  x[0]! ^= arc[0]!;
  x[1]! ^= arc[1]!;
  return tdesEcb(sk, x);
}

/** ARPC method 2: MAC alg 3 (pad 2) over ARQC || CSU || proprietary authentication data, 4 bytes. */
export function arpcMethod2(sk: Bytes, arqc: Bytes, csu: Bytes, proprietary: Bytes = new Uint8Array(0)): Uint8Array {
  check(arqc, 8, "ARQC");
  check(csu, 4, "CSU");
  if (proprietary.length > 8) throw new Error("E_ARPC: proprietary authentication data is 0..8 bytes");
  const d = new Uint8Array(12 + proprietary.length);
  d.set(arqc);
  d.set(csu, 8);
  d.set(proprietary, 12);
  return retailMac(sk, d, 4, 2);
}

/**
 * MAC of an issuer script command (secure messaging for integrity): over CLA INS P1 P2 Lc (Lc counting
 * the MAC), the ATC and the ARQC of the transaction, then the command data.
 */
export function scriptCommandMac(skSmi: Bytes, header: Bytes, atc: Bytes, arqc: Bytes, data: Bytes = new Uint8Array(0), length = 8): Uint8Array {
  const m = new Uint8Array(header.length + atc.length + arqc.length + data.length);
  m.set(header);
  m.set(atc, header.length);
  m.set(arqc, header.length + atc.length);
  m.set(data, header.length + atc.length + arqc.length);
  return retailMac(skSmi, m, length, 2);
}

/**
 * A whole script command with its MAC: CLA INS P1 P2 Lc data MAC (CLA 84/04 = secure messaging).
 * `skSmi` from deriveCommonSessionKey(MK-SMI, ARQC).
 */
export function buildScriptCommand(skSmi: Bytes, cla: number, ins: number, p1: number, p2: number, data: Bytes, atc: Bytes, arqc: Bytes, macLength = 8): Uint8Array {
  const lc = data.length + macLength;
  const header = Uint8Array.of(cla, ins, p1, p2, lc);
  const mac = scriptCommandMac(skSmi, header, atc, arqc, data, macLength);
  const out = new Uint8Array(5 + lc);
  out.set(header);
  out.set(data, 5);
  out.set(mac, 5 + data.length);
  return out;
}
