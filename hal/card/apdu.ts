/**
 * Command and response APDUs (ISO/IEC 7816-4 §5): building the four cases (short length fields),
 * telling a command's case from its bytes, splitting a response into data and status word.
 */
import { HalError } from "../errors";

export interface ApduResponse {
  /** Response data (may be empty). */
  readonly data: Uint8Array;
  /** SW1 << 8 | SW2. */
  readonly sw: number;
  readonly sw1: number;
  readonly sw2: number;
}

export const SW_OK = 0x9000;

/** Builds a short C-APDU; `le` 1..256 (256 is sent as 00), undefined for cases 1 and 3. E_APDU_FORMAT. */
export function buildApdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number): Uint8Array {
  const lc = data ? data.length : 0;
  if (lc > 255) throw new HalError("E_APDU_FORMAT", `Lc ${lc}: short APDUs carry at most 255 bytes`);
  if (le !== undefined && !(le >= 1 && le <= 256)) throw new HalError("E_APDU_FORMAT", `Le ${le}: 1..256`);
  const out = new Uint8Array(4 + (lc ? 1 + lc : 0) + (le !== undefined ? 1 : 0));
  out[0] = cla;
  out[1] = ins;
  out[2] = p1;
  out[3] = p2;
  let p = 4;
  if (lc) {
    out[p++] = lc;
    out.set(data!, p);
    p += lc;
  }
  if (le !== undefined) out[p] = le & 0xff;
  return out;
}

/** The case of a short C-APDU (ISO 7816-3 §12.1.3): 1, 2, 3 or 4. E_APDU_FORMAT for other lengths. */
export function apduCase(apdu: Uint8Array): 1 | 2 | 3 | 4 {
  const n = apdu.length;
  if (n < 4) throw new HalError("E_APDU_FORMAT", `C-APDU of ${n} bytes: header is 4`);
  if (n === 4) return 1;
  if (n === 5) return 2;
  const lc = apdu[4]!;
  if (lc !== 0 && n === 5 + lc) return 3;
  if (lc !== 0 && n === 6 + lc) return 4;
  throw new HalError("E_APDU_FORMAT", `C-APDU of ${n} bytes with Lc ${lc} fits no case`);
}

/** Splits an R-APDU; fewer than 2 bytes is E_APDU. The data is a copy-free view of `raw`. */
export function parseResponse(raw: Uint8Array): ApduResponse {
  const n = raw.length;
  if (n < 2) throw new HalError("E_APDU", `R-APDU of ${n} bytes: no status word`);
  const sw1 = raw[n - 2]!;
  const sw2 = raw[n - 1]!;
  return { data: raw.subarray(0, n - 2), sw: (sw1 << 8) | sw2, sw1, sw2 };
}

/** Status word in hex, 4 digits. */
export function swHex(sw: number): string {
  const s = sw.toString(16).toUpperCase();
  return "0000".slice(s.length) + s;
}

/** Meaning of a status word (ISO 7816-4 / EMV Book 1/3), for logs and diagnostics. */
export function describeSw(sw: number): string {
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if (sw === 0x9000) return "OK";
  if (sw1 === 0x61) return `${sw2 || 256} bytes available (GET RESPONSE)`;
  if (sw1 === 0x6c) return `wrong Le, ${sw2 || 256} bytes available`;
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) return `verify failed, ${sw2 & 0x0f} tries left`;
  switch (sw) {
    case 0x6281: return "data may be corrupted";
    case 0x6283: return "selected file invalidated";
    case 0x6700: return "wrong length";
    case 0x6982: return "security status not satisfied";
    case 0x6983: return "authentication method blocked";
    case 0x6984: return "reference data invalidated";
    case 0x6985: return "conditions of use not satisfied";
    case 0x6a81: return "function not supported";
    case 0x6a82: return "file or application not found";
    case 0x6a83: return "record not found";
    case 0x6a86: return "incorrect P1-P2";
    case 0x6a88: return "referenced data not found";
    case 0x6d00: return "INS not supported";
    case 0x6e00: return "CLA not supported";
  }
  if (sw1 === 0x62 || sw1 === 0x63) return "warning";
  return "error";
}

/** True for the warnings after which a T=0 case-4 command still has data to fetch (EMV Book 1 §9.3.1.3). */
export function isWarning(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw1 === 0x62 || sw1 === 0x63 || (sw1 === 0x90 && sw !== 0x9000) || (sw1 >= 0x91 && sw1 <= 0x9f);
}
