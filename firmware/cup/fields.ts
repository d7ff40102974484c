/**
 * The CUP POS 8583 dialect (/work/shared/spec/cup-8583.md §1–§5) as data: MTI 2 bytes BCD, one 8-byte binary
 * bitmap (no secondary), packed BCD numerics, ASCII text with BCD byte-count lengths, LLVAR/LLLVAR BCD numerics
 * counted in digits and left-aligned with a trailing 0 pad, field 22 left-aligned and 23 right-aligned, tracks
 * as BCD with nibble D for '=', binary 52/55/62/64. Plus the sub-field layouts of fields 60 and 61.
 */
import { Iso8583Error, type FieldSpec, type MessageSpec } from "../core/iso8583-spec";

/** n fixed, packed BCD, right-aligned (leading 0 nibble when odd) unless told otherwise. */
function n(length: number, name: string, align: "left" | "right" = "right"): FieldSpec {
  return { name, type: "n", length, encoding: "bcd", align, pad: "0" };
}
/** n or z variable, BCD length counting digits, left-aligned with a trailing 0 nibble (§2). */
function nVar(kind: "LL" | "LLL", length: number, name: string, type: "n" | "z" = "n", redact?: "pan" | "all"): FieldSpec {
  return { name, type, length, kind, encoding: "bcd", prefix: "bcd", align: "left", pad: "0", redact };
}
/** an/ans fixed ASCII, left-aligned, space fill. */
function text(type: "an" | "ans", length: number, name: string): FieldSpec {
  return { name, type, length, encoding: "ascii", align: "left", pad: " " };
}
/** an/ans variable ASCII with a BCD length counting bytes. */
function textVar(type: "an" | "ans", kind: "LL" | "LLL", length: number, name: string): FieldSpec {
  return { name, type, length, kind, encoding: "ascii", prefix: "bcd" };
}
function bin(length: number, name: string, kind: "fixed" | "LLL" = "fixed", redact?: "all"): FieldSpec {
  return { name, type: "b", length, kind, encoding: "binary", prefix: "bcd", redact };
}

/** The §3 field catalogue. */
export const CUP_FIELDS: { readonly [field: number]: FieldSpec } = {
  2: nVar("LL", 19, "Primary account number", "n", "pan"),
  3: n(6, "Processing code"),
  4: n(12, "Amount, transaction"),
  11: n(6, "POS trace number"),
  12: n(6, "Local time hhmmss"),
  13: n(4, "Local date MMDD"),
  14: n(4, "Expiry date YYMM"),
  15: n(4, "Settlement date MMDD"),
  22: n(3, "POS entry mode", "left"),
  23: n(3, "Card sequence number", "right"),
  25: n(2, "POS condition code"),
  26: n(2, "PIN capture code"),
  32: nVar("LL", 11, "Acquirer id"),
  35: nVar("LL", 37, "Track 2 data", "z", "all"),
  36: nVar("LLL", 104, "Track 3 data", "z", "all"),
  37: text("an", 12, "Retrieval reference number"),
  38: text("an", 6, "Authorization code"),
  39: text("an", 2, "Response code"),
  41: text("ans", 8, "Terminal id"),
  42: text("ans", 15, "Merchant id"),
  44: textVar("an", "LL", 25, "Additional response data"),
  48: nVar("LLL", 322, "Additional data, private"),
  49: text("an", 3, "Currency code"),
  52: bin(8, "PIN block", "fixed", "all"),
  53: n(16, "Security control information"),
  54: textVar("an", "LLL", 20, "Balance"),
  55: bin(255, "ICC data", "LLL"),
  // §3 gives n...017 for requests; §4: "the terminal must accept any length <= 999 in responses". One table serves
  // both directions, so the maximum is 999; the sub-field helpers below build at most 17 digits.
  60: nVar("LLL", 999, "Reserved private (60)"),
  61: nVar("LLL", 29, "Original data"),
  // §3 gives b...084 for the sign-in; other messages may carry more, so up to 999 bytes. Working keys: hidden.
  62: bin(999, "Reserved private (62)", "LLL", "all"),
  63: textVar("ans", "LLL", 163, "Reserved private (63)"),
  64: bin(8, "MAC", "fixed", "all"),
};

export const CUP_SPEC: MessageSpec = {
  name: "CUP POS 8583",
  mti: "bcd",
  bitmap: "binary",
  secondaryBitmap: false,
  prefixEncoding: "bcd",
  fields: CUP_FIELDS,
};

/** The field that carries the MAC (CUP ECB MAC over MTI .. the byte before it, §7.4). */
export const CUP_MAC_FIELD = 64;

// ---- sub-fields of 60 and 61 (§4, §5) -------------------------------------------------------------------

export interface SubfieldSpec {
  readonly key: string;
  readonly digits: number;
  readonly name: string;
}

/** Field 60 (§4): 60.1–60.3 sourced, 60.4–60.7 unverified and optional. */
export const FIELD60_LAYOUT: readonly SubfieldSpec[] = [
  { key: "type", digits: 2, name: "Transaction type code (60.1)" },
  { key: "batch", digits: 6, name: "Batch number (60.2)" },
  { key: "network", digits: 3, name: "Network management code (60.3)" },
  { key: "readCapability", digits: 1, name: "Terminal read capability (60.4)" },
  { key: "icCondition", digits: 1, name: "IC condition code (60.5)" },
  { key: "partial", digits: 1, name: "Partial approval flag (60.6)" },
  { key: "accountType", digits: 3, name: "Account type (60.7)" },
];

/** Field 61 (§5): original batch, original trace, original date MMDD (refund, pre-auth follow-ups). */
export const FIELD61_LAYOUT: readonly SubfieldSpec[] = [
  { key: "batch", digits: 6, name: "Original batch (61.1)" },
  { key: "trace", digits: 6, name: "Original trace (61.2)" },
  { key: "date", digits: 4, name: "Original date MMDD (61.3)" },
];

/**
 * Joins sub-fields into the digits of field 60 or 61: the parts in layout order up to the last one given (a
 * gap before it is E_8583_FIELD), each exactly its digit count.
 */
export function joinSubfields(field: number, layout: readonly SubfieldSpec[], parts: { readonly [key: string]: string | undefined }): string {
  let last = -1;
  for (let i = 0; i < layout.length; i++) if (parts[layout[i]!.key] !== undefined) last = i;
  let s = "";
  for (let i = 0; i <= last; i++) {
    const sub = layout[i]!;
    const v = parts[sub.key];
    if (v === undefined) throw new Iso8583Error("E_8583_FIELD", field, `${sub.name} missing before a later part`);
    if (v.length !== sub.digits) throw new Iso8583Error("E_8583_FIELD", field, `${sub.name} must be ${sub.digits} digits`);
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c < 48 || c > 57) throw new Iso8583Error("E_8583_FIELD", field, `${sub.name} must be digits`);
    }
    s += v;
  }
  return s;
}

/**
 * Splits the digits of field 60 or 61 by the layout: whole parts only (a trailing partial part is dropped; digits
 * beyond the layout are returned as `rest`).
 */
export function splitSubfields(layout: readonly SubfieldSpec[], digits: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  let p = 0;
  for (let i = 0; i < layout.length; i++) {
    const d = layout[i]!.digits;
    if (p + d > digits.length) return out;
    out[layout[i]!.key] = digits.substring(p, p + d);
    p += d;
  }
  if (p < digits.length) out.rest = digits.substring(p);
  return out;
}
