/**
 * ISO 8583 message specs as data, and their compiled form (flat typed arrays indexed by field number) that the
 * codec runs on. A dialect is a `MessageSpec`: how the MTI and the bitmap are written, whether a secondary
 * bitmap may appear, and one `FieldSpec` per field the dialect knows. Examples: firmware/cup/fields.ts (CUP,
 * packed BCD) and firmware/core/iso8583-ascii87.ts (plain ISO 8583:1987, all ASCII).
 */
import { CoreError } from "./errors";

/** ISO 8583 data types: numeric, alphanumeric, alphanumeric + special, binary, track data (digits and `=`/`D`). */
export type FieldType = "n" | "an" | "ans" | "b" | "z";
/** Fixed length, or a variable length announced by a 2-digit (LLVAR) or 3-digit (LLLVAR) prefix. */
export type LengthKind = "fixed" | "LL" | "LLL";
/**
 * How the data of a field are written: packed BCD nibbles (n, z), one ASCII char per unit (n, z, an, ans),
 * raw bytes (b) or two ASCII hex chars per byte (b).
 */
export type DataEncoding = "bcd" | "ascii" | "binary" | "hex";
/** How a LL/LLL prefix is written: BCD (1 or 2 bytes), ASCII digits (2 or 3 chars) or binary (1 or 2 bytes, big-endian). */
export type PrefixEncoding = "bcd" | "ascii" | "binary";

export interface FieldSpec {
  /** Short English name, shown by `describe`. */
  name: string;
  type: FieldType;
  /** Fixed length, or the maximum for LL/LLL: digits for n and z, characters for an and ans, bytes for b. */
  length: number;
  kind?: LengthKind; // default "fixed"
  encoding: DataEncoding;
  /** Default: the message spec's `prefixEncoding`. */
  prefix?: PrefixEncoding;
  /**
   * What a LL/LLL prefix counts: "units" (digits for n/z, characters, bytes of a b value: the usual reading)
   * or "bytes" (bytes on the wire, e.g. half the digits for BCD). Default "units".
   */
  counts?: "units" | "bytes";
  /**
   * Where the value sits when it does not fill its slot: for BCD, the side of the value when the digit count is
   * odd ("left" = pad nibble last); for an/ans fixed fields, the side of the text when shorter than the length.
   * Default "right" for n, "left" otherwise. A numeric value shorter than a fixed n field always gets leading zeros.
   */
  align?: "left" | "right";
  /** Pad: the BCD pad nibble ("0" or "F") for n/z, the fill character for an/ans fixed fields (" " or "0"). */
  pad?: "0" | "F" | " ";
  /** For `describe`: "pan" shows the first 6 and last 4 digits, "all" hides the value (tracks, PIN block, MAC, keys). */
  redact?: "pan" | "all";
}

export interface MessageSpec {
  name: string;
  /** MTI as 2 bytes of BCD or 4 ASCII digits. */
  mti: "bcd" | "ascii";
  /** Bitmaps as raw bytes (8 per bitmap) or hex ASCII (16 chars per bitmap). */
  bitmap: "binary" | "hex";
  /** Whether bit 1 (a secondary bitmap, fields 65..128) may be set. */
  secondaryBitmap: boolean;
  /** Default prefix encoding of LL/LLL fields. */
  prefixEncoding: PrefixEncoding;
  /** Field number (2..128) -> spec. A set bit for a missing field is E_8583_UNKNOWN_FIELD. */
  fields: { readonly [field: number]: FieldSpec | undefined };
}

/** The typed error of the codec: a CoreError with the field number concerned (0 = MTI, 1 = bitmap, -1 = none). */
export class Iso8583Error extends CoreError {
  constructor(code: string, readonly field: number, message: string) {
    super(code, field > 0 ? `field ${field}: ${message}` : message);
    this.name = "Iso8583Error";
  }
}

// Type, encoding and prefix codes of the compiled tables.
export const T_N = 1;
export const T_AN = 2;
export const T_ANS = 3;
export const T_B = 4;
export const T_Z = 5;
export const ENC_BCD = 0;
export const ENC_ASCII = 1;
export const ENC_BINARY = 2;
export const ENC_HEX = 3;

/** A MessageSpec flattened into typed arrays indexed by field number (0..128); 0 in `type` = no such field. */
export interface CompiledSpec {
  readonly spec: MessageSpec;
  readonly mtiBcd: boolean;
  readonly bitmapHex: boolean;
  readonly secondary: boolean;
  /** Highest field number the spec has. */
  readonly maxField: number;
  readonly type: Uint8Array;
  readonly enc: Uint8Array;
  /** Prefix digits: 0 fixed, 2 LL, 3 LLL. */
  readonly prefixDigits: Uint8Array;
  /** Prefix encoding (ENC_BCD, ENC_ASCII, ENC_BINARY) and its size in bytes. */
  readonly prefixEnc: Uint8Array;
  readonly prefixBytes: Uint8Array;
  /** 1 when the prefix counts wire bytes. */
  readonly countsBytes: Uint8Array;
  /** Fixed length or maximum, in units. */
  readonly length: Uint16Array;
  /** Wire bytes of a fixed field (0 for LL/LLL). */
  readonly fixedWire: Uint16Array;
  /** 1 when left-aligned. */
  readonly alignLeft: Uint8Array;
  /** BCD pad nibble (0 or 15), or fill char code for text. */
  readonly pad: Uint8Array;
  /** 0 none, 1 pan, 2 all. */
  readonly redact: Uint8Array;
}

const TYPE_CODES: { [k: string]: number } = { n: T_N, an: T_AN, ans: T_ANS, b: T_B, z: T_Z };
const ENC_CODES: { [k: string]: number } = { bcd: ENC_BCD, ascii: ENC_ASCII, binary: ENC_BINARY, hex: ENC_HEX };

function specError(field: number, message: string): never {
  throw new Iso8583Error("E_8583_SPEC", field, message);
}

/** Wire bytes of `units` units of data for a field of type t and encoding e. */
export function wireBytesOf(t: number, e: number, units: number): number {
  if (e === ENC_BCD) return (units + 1) >> 1;
  if (e === ENC_HEX) return units * 2;
  return units;
}

/** Validates a MessageSpec and flattens it. Bad specs -> E_8583_SPEC. */
export function compileSpec(spec: MessageSpec): CompiledSpec {
  const type = new Uint8Array(129);
  const enc = new Uint8Array(129);
  const prefixDigits = new Uint8Array(129);
  const prefixEnc = new Uint8Array(129);
  const prefixBytes = new Uint8Array(129);
  const countsBytes = new Uint8Array(129);
  const length = new Uint16Array(129);
  const fixedWire = new Uint16Array(129);
  const alignLeft = new Uint8Array(129);
  const pad = new Uint8Array(129);
  const redact = new Uint8Array(129);
  let maxField = 0;
  const top = spec.secondaryBitmap ? 128 : 64;
  for (const key in spec.fields) {
    const n = Number(key);
    const f = spec.fields[n];
    if (!f) continue;
    if (!(n >= 2 && n <= top && n === Math.floor(n))) specError(n, `field number outside 2..${top}`);
    const t = TYPE_CODES[f.type];
    const e = ENC_CODES[f.encoding];
    if (t === undefined) specError(n, `unknown type ${f.type}`);
    if (e === undefined) specError(n, `unknown encoding ${f.encoding}`);
    if (t === T_B ? e !== ENC_BINARY && e !== ENC_HEX : e !== ENC_ASCII && (e !== ENC_BCD || (t !== T_N && t !== T_Z)))
      specError(n, `type ${f.type} cannot be encoded as ${f.encoding}`);
    const kind = f.kind ?? "fixed";
    const k = kind === "fixed" ? 0 : kind === "LL" ? 2 : kind === "LLL" ? 3 : specError(n, `unknown length kind ${kind}`);
    if (!(f.length >= 1 && f.length <= 9999 && f.length === Math.floor(f.length))) specError(n, `bad length ${f.length}`);
    const pe = ENC_CODES[f.prefix ?? spec.prefixEncoding];
    if (k && (pe === undefined || pe === ENC_HEX)) specError(n, `bad prefix encoding ${f.prefix ?? spec.prefixEncoding}`);
    const cb = f.counts === "bytes" ? 1 : 0;
    if (k) {
      const maxPrefix = cb ? wireBytesOf(t, e, f.length) : f.length;
      const limit = pe === ENC_BINARY ? (k === 2 ? 255 : 65535) : k === 2 ? 99 : 999;
      if (maxPrefix > limit) specError(n, `maximum length ${f.length} does not fit a ${kind} prefix`);
    }
    const left = f.align ? f.align === "left" : t !== T_N;
    const p = f.pad ?? (t === T_N || t === T_Z ? "0" : " ");
    let padCode: number;
    if (e === ENC_BCD) padCode = p === "0" ? 0 : p === "F" ? 15 : specError(n, `BCD pad must be 0 or F`);
    else padCode = p === " " ? 32 : p === "0" ? 48 : p === "F" ? 70 : specError(n, `bad pad ${p}`);
    type[n] = t;
    enc[n] = e;
    prefixDigits[n] = k;
    prefixEnc[n] = k ? pe! : 0;
    prefixBytes[n] = k === 0 ? 0 : pe === ENC_ASCII ? k : pe === ENC_BCD ? (k + 1) >> 1 : k - 1;
    countsBytes[n] = cb;
    length[n] = f.length;
    fixedWire[n] = k ? 0 : wireBytesOf(t, e, f.length);
    alignLeft[n] = left ? 1 : 0;
    pad[n] = padCode;
    redact[n] = f.redact === "pan" ? 1 : f.redact === "all" ? 2 : 0;
    if (n > maxField) maxField = n;
  }
  if (spec.mti !== "bcd" && spec.mti !== "ascii") specError(0, `bad MTI encoding ${spec.mti}`);
  if (spec.bitmap !== "binary" && spec.bitmap !== "hex") specError(1, `bad bitmap encoding ${spec.bitmap}`);
  return {
    spec,
    mtiBcd: spec.mti === "bcd",
    bitmapHex: spec.bitmap === "hex",
    secondary: spec.secondaryBitmap,
    maxField,
    type,
    enc,
    prefixDigits,
    prefixEnc,
    prefixBytes,
    countsBytes,
    length,
    fixedWire,
    alignLeft,
    pad,
    redact,
  };
}
