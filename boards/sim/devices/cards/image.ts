/**
 * Card images for the simulator: what a card holds (stripe tracks, ATR/ATS, applications with their
 * FCI data, GPO answer and records in short files, GET DATA objects, the offline PIN). A VirtualCard
 * (virtual-card.ts) answers APDUs from an image.
 *
 * The images are built with the small BER-TLV encoder below, kept apart from firmware/core/tlv.ts on
 * purpose: the simulator must not share code with what it tests.
 */

export type Interface = "contact" | "contactless";

export interface AppImage {
  /** AID, hex. */
  aid: string;
  /** Application label (50), ASCII. */
  label: string;
  /** Application priority indicator (87). */
  priority?: number;
  /** Application preferred name (9F12), ASCII. */
  preferredName?: string;
  /** Issuer code table index (9F11). */
  codeTable?: number;
  /** PDOL (9F38) as hex tag/length list; absent = no PDOL. */
  pdol?: string;
  /** Application interchange profile (82), 2 bytes hex. */
  aip: string;
  /** Application file locator (94), 4-byte entries hex. */
  afl: string;
  /** GPO answer format: 1 (tag 80) or 2 (template 77). */
  gpoFormat?: 1 | 2;
  /** Records by "SFI:record" -> the record template (70 ...) hex. */
  records: Record<string, string>;
  /** GET DATA objects beyond 9F17 (PIN try counter) and 9F36 (ATC): tag hex -> value hex. */
  data?: Record<string, string>;
  /** SELECT answers 6283 (selected file invalidated) with the FCI, as a blocked application does. */
  blocked?: boolean;
  /** Interfaces the application is offered on (default both). */
  interfaces?: Interface[];
  /** Extra FCI proprietary template (A5) objects, hex. */
  fciExtra?: string;
  /** Keys and card risk behaviour for real cryptograms, DDA/CDA signatures and issuer scripts. */
  crypto?: AppCrypto;
}

/** What makes an application's cryptograms and signatures real (see personalise.ts). */
export interface AppCrypto {
  /** ICC master keys (hex, option A from the issuer's IMKs): AC, secure-messaging integrity and confidentiality. */
  mkAc: string;
  mkSmi: string;
  mkSmc: string;
  /** Derivation key index and cryptogram version number, as written in 9F10. */
  dki: number;
  cvn: number;
  /** Name of the test RSA key (boards/sim/issuer/test-keys.ts) the card signs with (DDA, CDA, fDDA). */
  iccKey?: string;
  /** Signs DDA/CDA with this key instead (its certificate names iccKey): a card whose signatures fail. */
  ddaKey?: string;
  /** Answer to a TC request in the first GENERATE AC: "online" (ARQC, the default) or "offline" (TC). */
  firstAc?: "online" | "offline";
  /** The second GENERATE AC answers AAC to a TC request unless issuer authentication succeeded. */
  issuerAuthRequired?: boolean;
  /** qPBOC: the GPO (TTQ 9F66 in the PDOL) computes the cryptogram. */
  qpboc?: boolean;
}

export interface CardImage {
  name: string;
  /** Stripe tracks as ASCII without sentinels and LRC (what the reader reports). */
  tracks?: { track1?: string; track2?: string; track3?: string };
  /** Contact chip: its ATR (hex) and transmission protocol; absent = no chip (mute in the slot). */
  contact?: { atr: string; protocol: 0 | 1 };
  /** Contactless: its ATS (hex, TL first, CRC removed); absent = not contactless. */
  contactless?: { ats: string };
  /** Contact PSE (1PAY.SYS.DDF01) directory in this SFI; absent = no PSE (the terminal uses the AID list). */
  pseSfi?: number;
  /** Contactless PPSE (2PAY.SYS.DDF01) offered. */
  ppse?: boolean;
  applications: AppImage[];
  /** Offline PIN (plaintext VERIFY) and the try limit. */
  pin?: string;
  pinTryLimit?: number;
  /** Offline PIN tries left at insertion (default: the limit); 0 = PIN try limit exceeded. */
  pinTriesLeft?: number;
  /** Language preference (5F2D), ASCII, e.g. "zhen". */
  language?: string;
}

// ---- a tiny BER-TLV encoder for writing images --------------------------------------------------

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex").toUpperCase();
}
export function unhex(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex in card image: ${h}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
export function asciiHex(s: string): string {
  return Buffer.from(s, "latin1").toString("hex").toUpperCase();
}

function lengthHex(n: number): string {
  if (n < 0x80) return n.toString(16).padStart(2, "0");
  if (n < 0x100) return "81" + n.toString(16).padStart(2, "0");
  if (n < 0x10000) return "82" + n.toString(16).padStart(4, "0");
  throw new Error("TLV value too long for a card image");
}

/** tlv("9F12", "…hex…", "…more hex…"): tag + length + the concatenated values (hex). */
export function tlv(tag: string, ...values: string[]): string {
  const v = values.join("").replace(/\s+/g, "");
  return (tag + lengthHex(v.length / 2) + v).toUpperCase();
}

/** Digits to packed BCD hex, padded with F on the right when odd (cn format) or with 0 on the left (n format). */
export function cn(digits: string): string {
  return digits.length % 2 ? digits + "F" : digits;
}
export function n(digits: string, bytes: number): string {
  return digits.padStart(bytes * 2, "0");
}

/** Luhn check digit for the digits given (without it). */
export function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Track 2 equivalent data (57): PAN 'D' YYMM service code discretionary, F-padded. */
export function track2Equivalent(track2: string): string {
  return cn(track2.replace("=", "D"));
}

/** ATR with its TCK appended when a protocol other than T=0 is indicated. */
export function atrWithTck(hexNoTck: string): string {
  const b = unhex(hexNoTck);
  let x = 0;
  for (let i = 1; i < b.length; i++) x ^= b[i]!;
  return hex(b) + x.toString(16).padStart(2, "0").toUpperCase();
}
