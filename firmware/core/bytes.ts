/**
 * Bytes, hex, ASCII and packed BCD. Pure functions over Uint8Array; index loops only, no allocation per
 * byte. Errors are CoreError with stable codes: E_HEX, E_ASCII, E_BCD, E_RANGE.
 */
import { CoreError } from "./errors";

const HEX_DIGITS = "0123456789ABCDEF";

/** Value of a hex digit char code, or -1. */
function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

function checkRange(len: number, off: number, count: number, what: string): void {
  if (!(off >= 0 && count >= 0 && off + count <= len) || off !== Math.floor(off) || count !== Math.floor(count))
    throw new CoreError("E_RANGE", `${what}: offset ${off} + ${count} outside 0..${len}`);
}

/** Hex string (upper or lower case, no separators) to bytes. Odd length or a non-hex char -> E_HEX. */
export function hexToBytes(hex: string): Uint8Array {
  const n = hex.length;
  if (n & 1) throw new CoreError("E_HEX", `odd hex length ${n}`);
  const out = new Uint8Array(n >> 1);
  for (let i = 0, j = 0; i < n; i += 2, j++) {
    const hi = hexNibble(hex.charCodeAt(i));
    const lo = hexNibble(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw new CoreError("E_HEX", `non-hex character at ${hi < 0 ? i : i + 1}`);
    out[j] = (hi << 4) | lo;
  }
  return out;
}

/** Upper-case hex of b[off .. off+len). */
export function bytesToHex(b: Uint8Array, off = 0, len = b.length - off): string {
  checkRange(b.length, off, len, "bytesToHex");
  // Short chunks joined at the end keep string building linear on engines without ropes.
  let s = "";
  let parts: string[] | undefined;
  const end = off + len;
  for (let i = off; i < end; i++) {
    const v = b[i]!;
    s += HEX_DIGITS[v >> 4]! + HEX_DIGITS[v & 15]!;
    if ((i - off) % 128 === 127) {
      (parts || (parts = [])).push(s);
      s = "";
    }
  }
  if (!parts) return s;
  parts.push(s);
  return parts.join("");
}

/**
 * Latin-1/ASCII string to bytes (one byte per char). Without `out` returns a new array of s.length bytes;
 * with `out`, writes at out[off] and returns `out`. A char above 0xFF -> E_ASCII; no room -> E_RANGE.
 */
export function asciiToBytes(s: string, out?: Uint8Array, off = 0): Uint8Array {
  const n = s.length;
  const dst = out || new Uint8Array(n);
  checkRange(dst.length, off, n, "asciiToBytes");
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new CoreError("E_ASCII", `char code ${c} at ${i} is not one byte`);
    dst[off + i] = c;
  }
  return dst;
}

/** b[off .. off+len) as a string, one char per byte (Latin-1). */
export function bytesToAscii(b: Uint8Array, off = 0, len = b.length - off): string {
  checkRange(b.length, off, len, "bytesToAscii");
  let s = "";
  const end = off + len;
  for (let i = off; i < end; i += 256) {
    const stop = i + 256 < end ? i + 256 : end;
    s += String.fromCharCode.apply(null, b.subarray(i, stop) as unknown as number[]);
  }
  return s;
}

/** out[outOff + i] = a[aOff + i] ^ b[bOff + i] for i < len (out may alias a or b at the same offset). */
export function xorInto(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, out: Uint8Array, outOff: number, len: number): void {
  checkRange(a.length, aOff, len, "xorInto a");
  checkRange(b.length, bOff, len, "xorInto b");
  checkRange(out.length, outOff, len, "xorInto out");
  for (let i = 0; i < len; i++) out[outOff + i] = a[aOff + i]! ^ b[bOff + i]!;
}

/** Equality whose time depends only on the lengths (for MACs, cryptograms, KCVs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Plain equality of two byte ranges. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenation into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i]!.length;
  const out = new Uint8Array(n);
  for (let i = 0, o = 0; i < parts.length; i++) {
    out.set(parts[i]!, o);
    o += parts[i]!.length;
  }
  return out;
}

export function readU16BE(b: Uint8Array, off: number): number {
  checkRange(b.length, off, 2, "readU16BE");
  return (b[off]! << 8) | b[off + 1]!;
}
export function readU32BE(b: Uint8Array, off: number): number {
  checkRange(b.length, off, 4, "readU32BE");
  return b[off]! * 0x1000000 + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);
}
export function writeU16BE(b: Uint8Array, off: number, v: number): void {
  checkRange(b.length, off, 2, "writeU16BE");
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
export function writeU32BE(b: Uint8Array, off: number, v: number): void {
  checkRange(b.length, off, 4, "writeU32BE");
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

export type BcdAlign = "left" | "right";

/** Nibble of a digit char code: 0-9, 13 for the track separator ('=', 'D', 'd'), -1 otherwise. */
const BCD_NIBBLE = new Int8Array(256).fill(-1);
for (let c = 48; c <= 57; c++) BCD_NIBBLE[c] = c - 48;
BCD_NIBBLE[61] = BCD_NIBBLE[68] = BCD_NIBBLE[100] = 13;
/** "00".."99" by value: two digits per string join when decoding (100 short strings of heap, not 256). */
const BCD_PAIRS: string[] = [];
for (let v = 0; v < 100; v++) BCD_PAIRS.push(HEX_DIGITS[(v / 10) | 0]! + HEX_DIGITS[v % 10]!);

function bcdDigit(c: number, allowTrackSeparator: boolean, i: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (allowTrackSeparator && (c === 61 /* = */ || c === 68 /* D */ || c === 100 /* d */)) return 13;
  throw new CoreError("E_BCD", `not a BCD digit at ${i}`);
}

/**
 * Packs digits (0-9, plus 'D'/'=' as nibble D for track data when allowed) into ceil(n/2) bytes at out[off];
 * returns bytes written. Odd counts: "right" puts the pad nibble first, "left" puts it last; pad is 0x0 or 0xF.
 */
export function bcdEncode(digits: string, out: Uint8Array, off: number, align: BcdAlign, pad: 0 | 15 = 0, allowTrackSeparator = false): number {
  const n = digits.length;
  const bytes = (n + 1) >> 1;
  if (pad !== 0 && pad !== 15) throw new CoreError("E_BCD", `pad nibble must be 0 or F`);
  checkRange(out.length, off, bytes, "bcdEncode");
  // Validate first so a bad digit leaves `out` untouched (table lookups: no call per digit on the engine).
  for (let i = 0; i < n; i++) {
    const c = digits.charCodeAt(i);
    const v = c < 256 ? BCD_NIBBLE[c]! : -1;
    if (v < 0 || (v === 13 && !allowTrackSeparator)) bcdDigit(c, allowTrackSeparator, i); // throws E_BCD
  }
  let i = 0;
  let k = off;
  if (n & 1 && align === "right") {
    out[k++] = (pad << 4) | BCD_NIBBLE[digits.charCodeAt(0)]!; // one pad nibble before the digits
    i = 1;
  }
  for (; i + 1 < n; i += 2) out[k++] = (BCD_NIBBLE[digits.charCodeAt(i)]! << 4) | BCD_NIBBLE[digits.charCodeAt(i + 1)]!;
  if (i < n) out[k] = (BCD_NIBBLE[digits.charCodeAt(i)]! << 4) | pad;
  return bytes;
}

/**
 * Reads `digits` digits from ceil(digits/2) bytes at b[off]; non-decimal nibbles -> E_BCD (unless
 * allowTrackSeparator for D, returned as 'D'). The pad nibble of an odd count is not checked.
 */
export function bcdDecode(b: Uint8Array, off: number, digits: number, align: BcdAlign, allowTrackSeparator = false): string {
  const bytes = (digits + 1) >> 1;
  checkRange(b.length, off, bytes, "bcdDecode");
  // Two digits per byte from a table: half the string joins, no call per digit.
  const lead = digits & 1 && align === "right" ? 1 : 0;
  let s = "";
  let k = off;
  let left = digits;
  if (lead) {
    const d = b[k++]! & 15;
    if (d > 9 && !(d === 13 && allowTrackSeparator)) return bcdDecodeSlow(b, off, digits, align, allowTrackSeparator);
    s = HEX_DIGITS[d]!;
    left--;
  }
  const end = k + (left >> 1);
  for (; k < end; k++) {
    const v = b[k]!;
    const hi = v >> 4;
    const lo = v & 15;
    if (hi <= 9 && lo <= 9) s += BCD_PAIRS[hi * 10 + lo]!;
    else if (allowTrackSeparator && (hi <= 9 || hi === 13) && (lo <= 9 || lo === 13)) s += HEX_DIGITS[hi]! + HEX_DIGITS[lo]!;
    else return bcdDecodeSlow(b, off, digits, align, allowTrackSeparator);
  }
  if (left & 1) {
    const d = b[k]! >> 4;
    if (d > 9 && !(d === 13 && allowTrackSeparator)) return bcdDecodeSlow(b, off, digits, align, allowTrackSeparator);
    s += HEX_DIGITS[d]!;
  }
  return s;
}

/** Digit by digit: reached only for bad input, to throw E_BCD naming the offending digit. */
function bcdDecodeSlow(b: Uint8Array, off: number, digits: number, align: BcdAlign, allowTrackSeparator: boolean): string {
  const lead = digits & 1 && align === "right" ? 1 : 0;
  let s = "";
  for (let i = 0; i < digits; i++) {
    const p = i + lead; // nibble position
    const v = b[off + (p >> 1)]!;
    const d = p & 1 ? v & 15 : v >> 4;
    if (d <= 9) s += HEX_DIGITS[d];
    else if (d === 13 && allowTrackSeparator) s += "D";
    else throw new CoreError("E_BCD", `nibble ${HEX_DIGITS[d]} at digit ${i} is not decimal`);
  }
  return s;
}

/**
 * A non-negative integer (up to 15 digits, e.g. amounts in fen) as `digits` right-aligned BCD digits
 * (leading zeros) at out[off]; returns bytes written. Too many digits -> E_BCD.
 */
export function bcdEncodeNumber(value: number, out: Uint8Array, off: number, digits: number): number {
  if (!(value >= 0) || value !== Math.floor(value) || value > 999999999999999) throw new CoreError("E_BCD", `not a BCD number: ${value}`);
  const bytes = (digits + 1) >> 1;
  checkRange(out.length, off, bytes, "bcdEncodeNumber");
  let v = value;
  for (let k = bytes - 1; k >= 0; k--) {
    const lo = v % 10;
    v = (v - lo) / 10;
    const hi = v % 10;
    v = (v - hi) / 10;
    out[off + k] = (hi << 4) | lo;
  }
  if (v !== 0 || (digits & 1 && out[off]! >> 4 !== 0)) throw new CoreError("E_BCD", `${value} does not fit in ${digits} digits`);
  return bytes;
}

/** Right-aligned BCD digits at b[off] as a number (up to 15 digits). Non-decimal nibble -> E_BCD. */
export function bcdDecodeNumber(b: Uint8Array, off: number, digits: number): number {
  if (digits > 15) throw new CoreError("E_BCD", `${digits} digits exceed a safe integer`);
  const bytes = (digits + 1) >> 1;
  checkRange(b.length, off, bytes, "bcdDecodeNumber");
  let v = 0;
  for (let k = 0; k < bytes; k++) {
    const x = b[off + k]!;
    const hi = k === 0 && digits & 1 ? 0 : x >> 4; // an odd count's leading pad nibble is skipped
    const lo = x & 15;
    if (hi > 9 || lo > 9) throw new CoreError("E_BCD", `non-decimal nibble in byte ${k}`);
    v = v * 100 + hi * 10 + lo;
  }
  return v;
}
