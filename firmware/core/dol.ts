/**
 * Data Object Lists (EMV 4.x Book 3 §5.4): PDOL (9F38), CDOL1/2 (8C/8D), DDOL (9F49), TDOL (97) and
 * the data built from them for GET PROCESSING OPTIONS, GENERATE AC, INTERNAL AUTHENTICATE.
 *
 * A DOL is a list of (tag, length) with no values. The data built from it is the concatenation, in
 * list order, of each object's value fitted to the length asked:
 * - longer than asked: format 'n' loses its leftmost bytes, every other format its rightmost bytes;
 * - shorter: 'n' gets leading 00 bytes, 'cn' trailing FF bytes, every other format trailing 00 bytes;
 * - absent, unknown or a constructed tag: that many 00 bytes.
 */
import { CoreError } from "./errors";
import { isConstructedTag, TlvMap } from "./tlv";

/** EMV data formats (Book 3 §4.3): numeric, compressed numeric, binary, alphabetic(-numeric(-special)). */
export type DataFormat = "n" | "cn" | "b" | "a" | "an" | "ans";

/**
 * Formats of the data elements a terminal puts in DOL data (EMV Book 3 Annex A; PBOC/UnionPay
 * electronic-cash terminal elements). Tags not listed are treated as binary.
 */
const FORMATS: ReadonlyArray<readonly [number, DataFormat]> = [
  [0x5a, "cn"], // Application PAN
  [0x5f24, "n"], // Application Expiration Date YYMMDD
  [0x5f25, "n"], // Application Effective Date
  [0x5f28, "n"], // Issuer Country Code
  [0x5f2a, "n"], // Transaction Currency Code
  [0x5f34, "n"], // PAN Sequence Number
  [0x5f36, "n"], // Transaction Currency Exponent
  [0x5f57, "n"], // Account Type
  [0x8a, "an"], // Authorisation Response Code
  [0x89, "ans"], // Authorisation Code
  [0x9a, "n"], // Transaction Date YYMMDD
  [0x9c, "n"], // Transaction Type
  [0x9f01, "n"], // Acquirer Identifier
  [0x9f02, "n"], // Amount, Authorised (Numeric)
  [0x9f03, "n"], // Amount, Other (Numeric)
  [0x9f11, "n"], // Issuer Code Table Index
  [0x9f12, "ans"], // Application Preferred Name
  [0x9f15, "n"], // Merchant Category Code
  [0x9f16, "ans"], // Merchant Identifier
  [0x9f1a, "n"], // Terminal Country Code
  [0x9f1c, "an"], // Terminal Identification
  [0x9f1e, "an"], // Interface Device (IFD) Serial Number
  [0x9f20, "cn"], // Track 2 Discretionary Data
  [0x9f21, "n"], // Transaction Time HHMMSS
  [0x9f35, "n"], // Terminal Type
  [0x9f39, "n"], // Point-of-Service Entry Mode
  [0x9f3c, "n"], // Transaction Reference Currency Code
  [0x9f3d, "n"], // Transaction Reference Currency Exponent
  [0x9f41, "n"], // Transaction Sequence Counter
  [0x9f42, "n"], // Application Currency Code
  [0x9f44, "n"], // Application Currency Exponent
  [0x9f4e, "ans"], // Merchant Name and Location
  [0x9f7b, "n"], // Electronic Cash Terminal Transaction Limit (PBOC)
  [0x50, "ans"], // Application Label
  [0x5f20, "ans"], // Cardholder Name
  [0x5f2d, "an"], // Language Preference
];
const FORMAT_BY_TAG: Map<number, DataFormat> = new Map(FORMATS);

/** The data format of a tag for DOL fitting; "b" for tags not in the table. */
export function dataFormat(tag: number): DataFormat {
  return FORMAT_BY_TAG.get(tag) ?? "b";
}

/** Where DOL data takes values from: parsed maps (searched in order) or a function. */
export type DolSource = TlvMap | readonly TlvMap[] | ((tag: number) => Uint8Array | undefined);

/** A parsed DOL. Reusable: parse() replaces the entries. */
export class Dol {
  count = 0;
  /** Sum of the lengths: the size of the data built from this DOL. */
  dataLength = 0;
  private tags: Int32Array;
  private lengths: Int32Array;

  constructor(capacity = 16) {
    this.tags = new Int32Array(capacity > 4 ? capacity : 4);
    this.lengths = new Int32Array(capacity > 4 ? capacity : 4);
  }

  /**
   * Parses a DOL: tags (1..3 bytes) each followed by a one-byte length (81/82 long forms accepted).
   * Malformed -> E_TLV_TRUNCATED / E_TLV_BAD_TAG / E_TLV_BAD_LENGTH.
   */
  parse(buf: Uint8Array, off = 0, len = buf.length - off): this {
    if (!(off >= 0 && len >= 0 && off + len <= buf.length)) throw new CoreError("E_RANGE", `DOL ${off}+${len} outside 0..${buf.length}`);
    const end = off + len;
    let pos = off;
    let count = 0;
    let total = 0;
    while (pos < end) {
      const at = pos;
      let b = buf[pos++]!;
      if (b === 0 || b === 0xff) throw new CoreError("E_TLV_BAD_TAG", `DOL tag byte ${b} at ${at}`);
      let tag = b;
      if ((b & 0x1f) === 0x1f) {
        do {
          if (pos >= end) throw new CoreError("E_TLV_TRUNCATED", `DOL tag at ${at} cut short`);
          b = buf[pos++]!;
          tag = (tag << 8) | b;
          if (pos - at > 3) throw new CoreError("E_TLV_BAD_TAG", `DOL tag at ${at} longer than 3 bytes`);
        } while (b & 0x80);
      }
      if (pos >= end) throw new CoreError("E_TLV_TRUNCATED", `DOL entry ${tag.toString(16).toUpperCase()} has no length`);
      let n = buf[pos++]!;
      if (n > 0x7f) {
        const k = n & 0x7f;
        if (k === 0 || k > 2) throw new CoreError("E_TLV_BAD_LENGTH", `DOL length form ${n.toString(16)} at ${pos - 1}`);
        if (pos + k > end) throw new CoreError("E_TLV_TRUNCATED", `DOL length at ${pos - 1} cut short`);
        n = buf[pos++]!;
        if (k === 2) n = (n << 8) | buf[pos++]!;
      }
      if (count === this.tags.length) {
        const t = new Int32Array(count * 2);
        const l = new Int32Array(count * 2);
        t.set(this.tags);
        l.set(this.lengths);
        this.tags = t;
        this.lengths = l;
      }
      this.tags[count] = tag;
      this.lengths[count] = n;
      count++;
      total += n;
    }
    this.count = count;
    this.dataLength = total;
    return this;
  }

  tagAt(i: number): number {
    return this.tags[i]!;
  }
  lengthAt(i: number): number {
    return this.lengths[i]!;
  }

  /** Offset of entry i's value within the built data. */
  offsetOf(i: number): number {
    let o = 0;
    for (let k = 0; k < i; k++) o += this.lengths[k]!;
    return o;
  }

  /**
   * Builds the DOL data into out[off]; returns bytes written (dataLength). `formatOf` overrides the
   * format table (e.g. for a kernel's own tags).
   */
  build(source: DolSource, out: Uint8Array, off = 0, formatOf: (tag: number) => DataFormat = dataFormat): number {
    if (!(off >= 0 && off + this.dataLength <= out.length)) throw new CoreError("E_RANGE", `no room for ${this.dataLength} bytes of DOL data`);
    let o = off;
    for (let k = 0; k < this.count; k++) {
      const tag = this.tags[k]!;
      const want = this.lengths[k]!;
      let src: Uint8Array | undefined;
      let so = 0;
      let sl = -1;
      if (!isConstructedTag(tag)) {
        if (typeof source === "function") {
          src = source(tag);
          if (src) sl = src.length;
        } else if (source instanceof TlvMap) {
          const i = source.indexOf(tag);
          if (i >= 0) {
            src = source.buffer;
            so = source.valueOffsetAt(i);
            sl = source.valueLengthAt(i);
          }
        } else {
          for (let m = 0; m < source.length && sl < 0; m++) {
            const map = source[m]!;
            const i = map.indexOf(tag);
            if (i >= 0) {
              src = map.buffer;
              so = map.valueOffsetAt(i);
              sl = map.valueLengthAt(i);
            }
          }
        }
      }
      if (!src || sl < 0) {
        out.fill(0, o, o + want);
      } else {
        fitValue(src, so, sl, out, o, want, formatOf(tag));
      }
      o += want;
    }
    return o - off;
  }

  /** The DOL data as a new array. */
  buildBytes(source: DolSource, formatOf?: (tag: number) => DataFormat): Uint8Array {
    const out = new Uint8Array(this.dataLength);
    this.build(source, out, 0, formatOf);
    return out;
  }
}

/**
 * Copies src[so .. so+sl) into out[o .. o+want) with the EMV DOL rules for its format (see the file
 * comment): numeric right-aligned, everything else left-aligned.
 */
export function fitValue(src: Uint8Array, so: number, sl: number, out: Uint8Array, o: number, want: number, format: DataFormat): void {
  if (format === "n") {
    if (sl >= want) {
      for (let k = 0; k < want; k++) out[o + k] = src[so + sl - want + k]!;
    } else {
      const pad = want - sl;
      for (let k = 0; k < pad; k++) out[o + k] = 0;
      for (let k = 0; k < sl; k++) out[o + pad + k] = src[so + k]!;
    }
    return;
  }
  const n = sl < want ? sl : want;
  for (let k = 0; k < n; k++) out[o + k] = src[so + k]!;
  const fill = format === "cn" ? 0xff : 0;
  for (let k = n; k < want; k++) out[o + k] = fill;
}

/** Parses a DOL and builds its data in one go (convenience; reuse a Dol on hot paths). */
export function buildDolData(dol: Uint8Array, source: DolSource): Uint8Array {
  return new Dol().parse(dol).buildBytes(source);
}
