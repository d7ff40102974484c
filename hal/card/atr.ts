/**
 * Answer To Reset (ISO/IEC 7816-3 §8.2) and Answer To Select (ISO/IEC 14443-4 §5.2) parsing.
 * Index-only parsing over the received bytes: no view per element.
 */
import { HalError } from "../errors";

export interface Atr {
  /** The bytes as received. */
  readonly raw: Uint8Array;
  readonly convention: "direct" | "inverse";
  /** Format byte: Y1 (high nibble) and K (low nibble, number of historical bytes). */
  readonly t0: number;
  /** Interface bytes by group i = 1.. (index 0 is group 1); undefined where absent. */
  readonly ta: Array<number | undefined>;
  readonly tb: Array<number | undefined>;
  readonly tc: Array<number | undefined>;
  readonly td: Array<number | undefined>;
  /** Protocols the card offers, in ATR order (T=0 when no TD1); duplicates removed. */
  readonly protocols: number[];
  /** The protocol to use: the first offered (ISO 7816-3 §8.2.3), 0 or 1 for an EMV card. */
  readonly protocol: number;
  readonly historical: Uint8Array;
  /** Check byte, present when any protocol other than T=0 is indicated. */
  readonly tck: number | undefined;
  /** Fi and Di from TA1 (defaults 372 and 1). */
  readonly fi: number;
  readonly di: number;
  /** Extra guard time N from TC1 (0 when absent). */
  readonly extraGuardTime: number;
}

const FI = [372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0];
const DI = [0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0];

/** Parses an ATR; E_ATR_TS (bad initial byte), E_ATR_TRUNCATED, E_ATR_LENGTH (extra bytes, over 33), E_ATR_TCK. */
export function parseAtr(raw: Uint8Array): Atr {
  const n = raw.length;
  if (n < 2) throw new HalError("E_ATR_TRUNCATED", `ATR of ${n} bytes: TS and T0 are mandatory`);
  if (n > 33) throw new HalError("E_ATR_LENGTH", `ATR of ${n} bytes: at most 33`);
  const ts = raw[0]!;
  if (ts !== 0x3b && ts !== 0x3f) throw new HalError("E_ATR_TS", `TS ${hex2(ts)} is neither 3B (direct) nor 3F (inverse)`);
  const t0 = raw[1]!;
  const k = t0 & 0x0f;
  const ta: Array<number | undefined> = [];
  const tb: Array<number | undefined> = [];
  const tc: Array<number | undefined> = [];
  const td: Array<number | undefined> = [];
  const protocols: number[] = [];
  let y = t0 >> 4;
  let p = 2;
  let needTck = false;
  for (let i = 0; ; i++) {
    const need = ((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1) + ((y >> 3) & 1)) | 0;
    if (p + need > n) throw new HalError("E_ATR_TRUNCATED", `interface bytes of group ${i + 1} missing`);
    ta[i] = y & 1 ? raw[p++] : undefined;
    tb[i] = y & 2 ? raw[p++] : undefined;
    tc[i] = y & 4 ? raw[p++] : undefined;
    if (!(y & 8)) {
      td[i] = undefined;
      break;
    }
    const d = raw[p++]!;
    td[i] = d;
    const t = d & 0x0f;
    if (t !== 0) needTck = true;
    // T=15 announces global interface bytes, not a transmission protocol.
    if (t !== 15 && protocols.indexOf(t) < 0) protocols.push(t);
    y = d >> 4;
  }
  if (protocols.length === 0) protocols.push(0);
  if (p + k > n) throw new HalError("E_ATR_TRUNCATED", `${k} historical bytes announced, ${n - p} left`);
  const historical = raw.slice(p, p + k);
  p += k;
  let tck: number | undefined;
  if (needTck) {
    if (p >= n) throw new HalError("E_ATR_TRUNCATED", "TCK missing (a protocol other than T=0 is indicated)");
    tck = raw[p++]!;
    let x = 0;
    for (let i = 1; i < p; i++) x ^= raw[i]!;
    if (x !== 0) throw new HalError("E_ATR_TCK", `TCK ${hex2(tck)} does not check (XOR T0..TCK = ${hex2(x)})`);
  }
  if (p !== n) throw new HalError("E_ATR_LENGTH", `${n - p} bytes after the end of the ATR`);
  const ta1 = ta[0];
  return {
    raw,
    convention: ts === 0x3b ? "direct" : "inverse",
    t0,
    ta,
    tb,
    tc,
    td,
    protocols,
    protocol: protocols[0]!,
    historical,
    tck,
    fi: ta1 === undefined ? 372 : FI[ta1 >> 4]!,
    di: ta1 === undefined ? 1 : DI[ta1 & 15]!,
    extraGuardTime: tc[0] ?? 0,
  };
}

export interface Ats {
  readonly raw: Uint8Array;
  /** Frame size for proximity card integer and its size in bytes (ISO 14443-4 table). */
  readonly fsci: number;
  readonly fsc: number;
  readonly ta: number | undefined;
  readonly tb: number | undefined;
  readonly tc: number | undefined;
  /** Frame waiting time integer (TB b8..b5), default 4. */
  readonly fwi: number;
  readonly historical: Uint8Array;
}

const FSC = [16, 24, 32, 40, 48, 64, 96, 128, 256];

/** Parses an ATS (TL T0 [TA] [TB] [TC] historical; the reader has removed CRC_A). E_ATS. */
export function parseAts(raw: Uint8Array): Ats {
  const n = raw.length;
  if (n < 1) throw new HalError("E_ATS", "empty ATS");
  const tl = raw[0]!;
  if (tl !== n) throw new HalError("E_ATS", `TL says ${tl} bytes, ${n} received`);
  if (tl === 1) return { raw, fsci: 2, fsc: 32, ta: undefined, tb: undefined, tc: undefined, fwi: 4, historical: raw.slice(1) };
  const t0 = raw[1]!;
  if (t0 & 0x80) throw new HalError("E_ATS", `T0 ${hex2(t0)}: b8 must be 0`);
  let p = 2;
  const take = (present: number): number | undefined => {
    if (!present) return undefined;
    if (p >= n) throw new HalError("E_ATS", "interface byte missing");
    return raw[p++];
  };
  const ta = take(t0 & 0x10);
  const tb = take(t0 & 0x20);
  const tc = take(t0 & 0x40);
  const fsci = t0 & 0x0f;
  return { raw, fsci, fsc: FSC[fsci > 8 ? 8 : fsci]!, ta, tb, tc, fwi: tb === undefined ? 4 : tb >> 4, historical: raw.slice(p) };
}

function hex2(b: number): string {
  return (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
}
