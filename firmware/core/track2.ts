/**
 * Track 2 (ISO/IEC 7813) and EMV Track 2 Equivalent Data (tag 57):
 *   [;] PAN (up to 19 digits) separator ('=' on the stripe, nibble 'D' in chip and 8583 data)
 *   expiry YYMM, service code (3 digits), discretionary data (digits) [?]
 * Tag 57 and 8583 field 35 pack it as nibbles, the separator as D, padded with a trailing F.
 * Errors (CoreError): E_TRACK2_CHAR, E_TRACK2_LENGTH, E_TRACK2_SEPARATOR, E_TRACK2_PAN, E_TRACK2_EXPIRY,
 * E_TRACK2_SERVICE_CODE.
 */
import { CoreError } from "./errors";
import { luhnValid } from "./luhn";

export interface Track2 {
  /** Primary account number, 12..19 digits. */
  pan: string;
  /** Expiry as on the card: YYMM. */
  expiry: string;
  /** Service code, 3 digits (e.g. "101", "201" for a chip card, "220"). */
  serviceCode: string;
  /** Issuer discretionary data (digits, may be empty). */
  discretionary: string;
  /** Whether the PAN passes the Luhn check (the terminal decides what to do when it does not). */
  panLuhnValid: boolean;
}

/** Longest track 2 content (PAN, separator and data) ISO/IEC 7813 allows, without sentinels and LRC. */
export const TRACK2_MAX_CHARS = 37;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses track 2 text: optional ';' start and '?' end sentinels, '=' or 'D' (either case) as separator.
 * Checks the PAN (12..19 digits), the expiry month (01..12), the service code (3 digits) and that
 * every other character is a digit.
 */
export function parseTrack2(track: string): Track2 {
  let from = 0;
  let to = track.length;
  if (to > 0 && track.charCodeAt(0) === 59 /* ; */) from = 1;
  if (to > from && track.charCodeAt(to - 1) === 63 /* ? */) to--;
  if (to - from > TRACK2_MAX_CHARS) throw new CoreError("E_TRACK2_LENGTH", `${to - from} characters, at most ${TRACK2_MAX_CHARS}`);
  let sep = -1;
  for (let i = from; i < to; i++) {
    const c = track.charCodeAt(i);
    if (isDigit(c)) continue;
    if (c === 61 || c === 68 || c === 100) {
      if (sep >= 0) throw new CoreError("E_TRACK2_SEPARATOR", `second separator at ${i - from}`);
      sep = i;
      continue;
    }
    throw new CoreError("E_TRACK2_CHAR", `character code ${c} at ${i - from}`);
  }
  if (sep < 0) throw new CoreError("E_TRACK2_SEPARATOR", "no field separator ('=' or 'D')");
  const pan = track.substring(from, sep);
  if (pan.length < 12 || pan.length > 19) throw new CoreError("E_TRACK2_PAN", `PAN of ${pan.length} digits (12..19)`);
  if (to - sep - 1 < 4) throw new CoreError("E_TRACK2_EXPIRY", "no expiry date after the separator");
  const expiry = track.substring(sep + 1, sep + 5);
  const month = (expiry.charCodeAt(2) - 48) * 10 + (expiry.charCodeAt(3) - 48);
  if (month < 1 || month > 12) throw new CoreError("E_TRACK2_EXPIRY", `month ${expiry.substring(2)} in expiry ${expiry}`);
  if (to - sep - 5 < 3) throw new CoreError("E_TRACK2_SERVICE_CODE", "no service code after the expiry date");
  return {
    pan,
    expiry,
    serviceCode: track.substring(sep + 5, sep + 8),
    discretionary: track.substring(sep + 8, to),
    panLuhnValid: luhnValid(pan),
  };
}

const NIBBLE = "0123456789ABCDEF";

/**
 * Parses packed track 2 (EMV tag 57, or 8583 field 35 bytes): nibbles 0-9, D as separator, F padding
 * only at the end. `len` bytes from b[off].
 */
export function parseTrack2Bytes(b: Uint8Array, off = 0, len = b.length - off): Track2 {
  if (!(off >= 0 && len >= 0 && off + len <= b.length)) throw new CoreError("E_RANGE", `track 2 bytes ${off}+${len} outside 0..${b.length}`);
  let s = "";
  let padded = false;
  for (let k = 0; k < 2 * len; k++) {
    const v = b[off + (k >> 1)]!;
    const d = k & 1 ? v & 15 : v >> 4;
    if (d === 15) {
      padded = true;
      continue;
    }
    if (padded) throw new CoreError("E_TRACK2_CHAR", `nibble ${NIBBLE[d]} after the F padding`);
    if (d <= 9 || d === 13) s += NIBBLE[d];
    else throw new CoreError("E_TRACK2_CHAR", `nibble ${NIBBLE[d]} at ${k}`);
  }
  return parseTrack2(s);
}

/** Track 2 as 8583 and tag 57 carry it: digits with 'D' as the separator ("…D3012101…"). */
export function formatTrack2(t: Track2): string {
  return t.pan + "D" + t.expiry + t.serviceCode + t.discretionary;
}
