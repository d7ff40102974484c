/**
 * ISO 8583 codec driven by a MessageSpec (iso8583-spec.ts): pack into a caller's reusable buffer, unpack by
 * indexing field offsets once and decoding a field only when it is read, the MAC input range of both, and a
 * `describe` that masks the PAN and hides tracks, PIN block and MAC.
 *
 * Errors (Iso8583Error, a CoreError with `field`): E_8583_TRUNCATED (input ends inside the message),
 * E_8583_BITMAP (secondary bitmap where the dialect has none, non-hex ASCII bitmap), E_8583_LENGTH (variable
 * length above the maximum or a non-digit length prefix, a value longer than its field, trailing bytes),
 * E_8583_FIELD (a value not valid for its type; field 0 = MTI), E_8583_UNKNOWN_FIELD (a field the spec lacks),
 * E_8583_OVERFLOW (the output buffer is too small), E_8583_SPEC (a bad spec).
 */
import { bcdDecode, bcdDecodeNumber, bcdEncode, bytesToAscii, bytesToHex } from "./bytes";
import {
  compileSpec,
  ENC_ASCII,
  ENC_BCD,
  ENC_BINARY,
  ENC_HEX,
  Iso8583Error,
  T_AN,
  T_ANS,
  T_B,
  T_N,
  T_Z,
  wireBytesOf,
  type CompiledSpec,
  type MessageSpec,
} from "./iso8583-spec";

export { compileSpec, Iso8583Error } from "./iso8583-spec";
export type { CompiledSpec, DataEncoding, FieldSpec, FieldType, LengthKind, MessageSpec, PrefixEncoding } from "./iso8583-spec";

/** A field value to pack: digits (n, z), text or raw bytes (an, ans), bytes or a hex string (b), a number (n). */
export type FieldValue = string | Uint8Array | number;
/** Field number -> value (a plain object or a sparse array). Absent: undefined or null. */
export interface FieldValues {
  readonly [field: number]: FieldValue | undefined | null;
}

const HEX = "0123456789ABCDEF";
const EMPTY = new Uint8Array(0);

function fail(code: string, field: number, message: string): never {
  throw new Iso8583Error(code, field, message);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Character classes of ASCII data, one bit per type (TYPE_MASK): n digits; z digits and '='; an letters,
 * digits and space; ans printable ASCII and bytes >= 0x80 (GBK text in CUP field 63). A table lookup per
 * character instead of a call: the engine has no JIT.
 */
const CLASS = new Uint8Array(256);
for (let c = 32; c < 256; c++) {
  let k = 0;
  if (c >= 48 && c <= 57) k = 1 | 2 | 4 | 8;
  else if (c === 61) k = 2 | 8;
  else if (c === 32 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) k = 4 | 8;
  else if (c <= 126 || c >= 128) k = 8;
  CLASS[c] = k;
}
const TYPE_MASK = new Uint8Array(6);
TYPE_MASK[T_N] = 1;
TYPE_MASK[T_Z] = 2;
TYPE_MASK[T_AN] = 4;
TYPE_MASK[T_ANS] = 8;
/**
 * Reused char-code arrays by length (made on first use) for String.fromCharCode.apply: the fastest way to
 * make a short string from bytes on V8 and on QuickJS alike (no view, no string per char).
 */
const CODES: number[][] = [];
const CODES_MAX = 64;

function toCompiled(spec: MessageSpec | CompiledSpec): CompiledSpec {
  return (spec as CompiledSpec).type instanceof Uint8Array ? (spec as CompiledSpec) : compileSpec(spec as MessageSpec);
}

function numberToDigits(n: number, v: number, width: number, padToWidth: boolean): string {
  if (!(v >= 0) || v !== Math.floor(v) || v > 9007199254740991) fail("E_8583_FIELD", n, `not a non-negative integer: ${v}`);
  let s = String(v);
  if (s.length > width) fail("E_8583_LENGTH", n, `${s.length} digits, at most ${width}`);
  if (padToWidth) while (s.length < width) s = "0" + s;
  return s;
}

/** Packs messages of one dialect into caller buffers; keeps the offsets of the last message it packed. */
export class Iso8583Packer {
  readonly compiled: CompiledSpec;
  /** The buffer and the [start, end) range of the last packed message. */
  buffer: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  /** MAC input of the last message: [macStart, macEnd) = MTI .. the byte before field 128, else 64; macEnd -1 when neither is present. */
  macStart = 0;
  macEnd = -1;
  /** Per field: offset of its prefix (or data when fixed) and of its data in `buffer` (valid where the bitmap bit is set). */
  readonly fieldStart = new Int32Array(129);
  readonly dataStart = new Int32Array(129);
  /** The bitmap of the last message (bytes 8..15 = secondary). */
  readonly bitmap = new Uint8Array(16);
  /** Values of the message being packed, by field number (cleared as they are written). */
  private readonly vals: Array<FieldValue | undefined> = [];

  constructor(spec: MessageSpec | CompiledSpec) {
    this.compiled = toCompiled(spec);
  }

  /** Packs `mti` and `values` at out[off]; returns the offset just after the message. */
  pack(mti: string, values: FieldValues, out: Uint8Array, off = 0): number {
    const c = this.compiled;
    const bm = this.bitmap;
    const vals = this.vals;
    const type = c.type;
    for (let i = 0; i < 16; i++) bm[i] = 0;
    const top = c.secondary ? 128 : 64;
    let maxN = 0;
    // Only the keys present (a loop over 2..128 costs ~127 failed lookups on an interpreter); order comes from the bitmap.
    for (const key in values) {
      const v = values[key as unknown as number];
      if (v === undefined || v === null) continue;
      const n = +key;
      if (!(n >= 2 && n <= top && type[n]! > 0)) { // also refuses non-integer and non-numeric keys
        if (n === 1) fail("E_8583_FIELD", 1, "the secondary bitmap is set by the codec");
        fail("E_8583_UNKNOWN_FIELD", n === n ? n : -1, `${key} is not a field of the ${c.spec.name} spec`);
      }
      bm[(n - 1) >> 3] |= 0x80 >> ((n - 1) & 7);
      vals[n] = v;
      if (n > maxN) maxN = n;
    }
    const secondary = maxN > 64;
    if (secondary) bm[0] |= 0x80;
    const mapBytes = secondary ? 16 : 8;
    const head = (c.mtiBcd ? 2 : 4) + (c.bitmapHex ? mapBytes * 2 : mapBytes);
    if (!(off >= 0) || off + head > out.length) fail("E_8583_OVERFLOW", -1, `no room for MTI and bitmap at ${off}`);
    let p = off;
    // MTI
    if (typeof mti !== "string" || mti.length !== 4) fail("E_8583_FIELD", 0, `MTI must be 4 digits`);
    for (let i = 0; i < 4; i++) {
      const ch = mti.charCodeAt(i);
      if (ch < 48 || ch > 57) fail("E_8583_FIELD", 0, `MTI must be 4 digits`);
    }
    if (c.mtiBcd) {
      out[p] = ((mti.charCodeAt(0) - 48) << 4) | (mti.charCodeAt(1) - 48);
      out[p + 1] = ((mti.charCodeAt(2) - 48) << 4) | (mti.charCodeAt(3) - 48);
      p += 2;
    } else {
      for (let i = 0; i < 4; i++) out[p + i] = mti.charCodeAt(i);
      p += 4;
    }
    // Bitmap(s)
    if (c.bitmapHex) {
      for (let i = 0; i < mapBytes; i++) {
        out[p++] = HEX.charCodeAt(bm[i]! >> 4);
        out[p++] = HEX.charCodeAt(bm[i]! & 15);
      }
    } else {
      for (let i = 0; i < mapBytes; i++) out[p++] = bm[i]!;
    }
    // Fields in ascending order
    this.buffer = out;
    this.start = off;
    this.macStart = off;
    this.macEnd = -1;
    const fieldStart = this.fieldStart;
    for (let i = 0; i < mapBytes; i++) {
      const byte = bm[i]!;
      if (byte === 0) continue;
      for (let j = i === 0 ? 1 : 0; j < 8; j++) {
        if (!(byte & (0x80 >> j))) continue;
        const n = i * 8 + j + 1;
        fieldStart[n] = p;
        const v = vals[n]!;
        vals[n] = undefined;
        p = this.writeField(n, v, out, p);
      }
    }
    if (bm[15]! & 1) this.macEnd = this.fieldStart[128]!;
    else if (bm[7]! & 1) this.macEnd = this.fieldStart[64]!;
    this.end = p;
    return p;
  }

  /** Whether field n is present in the last packed message. */
  has(n: number): boolean {
    return n >= 2 && n <= 128 && (this.bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7))) !== 0;
  }

  /** A view of the MAC input of the last packed message (MTI .. the byte before field 64/128). */
  macInput(): Uint8Array {
    if (this.macEnd < 0) fail("E_8583_FIELD", 64, "no MAC field (64 or 128) in the message: pack it with a placeholder first");
    return this.buffer.subarray(this.macStart, this.macEnd);
  }

  /** Writes `mac` over the data of the MAC field (128 if present, else 64) of the last packed message. */
  writeMac(mac: Uint8Array): void {
    const n = this.has(128) ? 128 : 64;
    if (!this.has(n)) fail("E_8583_FIELD", 64, "no MAC field (64 or 128) in the message");
    const c = this.compiled;
    if (c.type[n] !== T_B || c.prefixDigits[n] !== 0 || mac.length !== c.length[n]) fail("E_8583_LENGTH", n, `MAC must be ${c.length[n]} bytes`);
    const d = this.dataStart[n]!;
    if (c.enc[n] === ENC_HEX) {
      for (let i = 0; i < mac.length; i++) {
        this.buffer[d + 2 * i] = HEX.charCodeAt(mac[i]! >> 4);
        this.buffer[d + 2 * i + 1] = HEX.charCodeAt(mac[i]! & 15);
      }
    } else this.buffer.set(mac, d);
  }

  private writeField(n: number, value: FieldValue, out: Uint8Array, p: number): number {
    const c = this.compiled;
    const t = c.type[n]!;
    const e = c.enc[n]!;
    const k = c.prefixDigits[n]!;
    const len = c.length[n]!;
    let v = value;
    let units: number;
    if (typeof v === "string") {
      units = v.length;
      if (t === T_B) {
        if (units & 1) fail("E_8583_FIELD", n, "odd-length hex string");
        units >>= 1;
      }
    } else if (typeof v === "number") {
      if (t !== T_N) fail("E_8583_FIELD", n, "a number is accepted only for n fields");
      v = numberToDigits(n, v, len, k === 0); // fixed: leading zeros to the length; variable: as written
      units = v.length;
    } else if (v instanceof Uint8Array) {
      if (t === T_N || t === T_Z) fail("E_8583_FIELD", n, "digits are given as a string");
      units = v.length;
    } else fail("E_8583_FIELD", n, `unsupported value type ${typeof v}`);
    let fill = 0;
    if (k === 0) {
      if (units > len) fail("E_8583_LENGTH", n, `${units} units, the field has ${len}`);
      if (units < len) {
        if (t === T_N && typeof v === "string") {
          while (v.length < len) v = "0" + v; // numeric semantics: leading zeros
          units = len;
        } else if (t === T_AN || t === T_ANS) fill = len - units;
        else fail("E_8583_LENGTH", n, `${units} units, the field needs ${len}`);
      }
    } else if (units > len) fail("E_8583_LENGTH", n, `${units} units, at most ${len}`);
    const dataUnits = units + fill;
    const wire = wireBytesOf(t, e, dataUnits);
    const pb = c.prefixBytes[n]!;
    if (p + pb + wire > out.length) fail("E_8583_OVERFLOW", n, `no room (${pb + wire} bytes at ${p} of ${out.length})`);
    // Prefix
    if (k) {
      const L = c.countsBytes[n] ? wire : units;
      const pe = c.prefixEnc[n];
      if (pe === ENC_BCD) {
        if (k === 2) out[p++] = ((((L / 10) | 0) % 10) << 4) | L % 10;
        else {
          out[p++] = ((L / 100) | 0) % 10;
          out[p++] = ((((L / 10) | 0) % 10) << 4) | L % 10;
        }
      } else if (pe === ENC_ASCII) {
        if (k === 3) out[p++] = 48 + (((L / 100) | 0) % 10);
        out[p++] = 48 + (((L / 10) | 0) % 10);
        out[p++] = 48 + (L % 10);
      } else {
        if (k === 3) out[p++] = L >> 8;
        out[p++] = L & 255;
      }
    }
    this.dataStart[n] = p;
    // Data
    if (e === ENC_BCD) {
      try {
        bcdEncode(v as string, out, p, c.alignLeft[n] ? "left" : "right", c.pad[n] as 0 | 15, t === T_Z);
      } catch (err) {
        fail("E_8583_FIELD", n, `not ${t === T_Z ? "track" : "numeric"} data`);
      }
      return p + wire;
    }
    if (e === ENC_ASCII) {
      let q = p;
      const padc = c.pad[n]!;
      if (fill && !c.alignLeft[n]) for (let i = 0; i < fill; i++) out[q++] = padc;
      const mask = TYPE_MASK[t]!;
      if (typeof v === "string") {
        for (let i = 0; i < units; i++) {
          let ch = v.charCodeAt(i);
          if (t === T_Z && (ch === 68 || ch === 100)) ch = 61; // 'D' separator written as '='
          if (!(CLASS[ch]! & mask)) fail("E_8583_FIELD", n, `character code ${ch} at ${i} is not valid for ${c.spec.fields[n]!.type}`);
          out[q++] = ch;
        }
      } else {
        const b = v as Uint8Array;
        for (let i = 0; i < units; i++) {
          const ch = b[i]!;
          if (!(CLASS[ch]! & mask)) fail("E_8583_FIELD", n, `byte ${ch} at ${i} is not valid for ${c.spec.fields[n]!.type}`);
          out[q++] = ch;
        }
      }
      if (fill && c.alignLeft[n]) for (let i = 0; i < fill; i++) out[q++] = padc;
      return q;
    }
    // Binary type
    if (typeof v === "string") {
      for (let i = 0; i < units; i++) {
        const hi = hexValue(v.charCodeAt(2 * i));
        const lo = hexValue(v.charCodeAt(2 * i + 1));
        if (hi < 0 || lo < 0) fail("E_8583_FIELD", n, "not a hex string");
        if (e === ENC_BINARY) out[p + i] = (hi << 4) | lo;
        else {
          out[p + 2 * i] = HEX.charCodeAt(hi);
          out[p + 2 * i + 1] = HEX.charCodeAt(lo);
        }
      }
    } else {
      const b = v as Uint8Array;
      if (e === ENC_BINARY) out.set(b, p);
      else
        for (let i = 0; i < units; i++) {
          out[p + 2 * i] = HEX.charCodeAt(b[i]! >> 4);
          out[p + 2 * i + 1] = HEX.charCodeAt(b[i]! & 15);
        }
    }
    return p + wire;
  }
}

/**
 * A parsed message over the caller's buffer (reusable: `parse` again for the next one). Parsing reads the MTI,
 * the bitmap and every length, and checks that the fields end exactly where the message does; the values are
 * decoded (and checked against their type) only when read.
 */
export class Iso8583Message {
  readonly compiled: CompiledSpec;
  buffer: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  mti = "";
  /** MAC input: [macStart, macEnd) = MTI .. the byte before field 128, else 64; macEnd -1 when neither is present. */
  macStart = 0;
  macEnd = -1;
  readonly bitmap = new Uint8Array(16);
  readonly fieldStart = new Int32Array(129);
  readonly dataStart = new Int32Array(129);
  /** Data bytes on the wire, and units (digits, characters, bytes) of the value. */
  readonly dataBytes = new Int32Array(129);
  readonly units = new Int32Array(129);
  private valid = false;

  constructor(spec: MessageSpec | CompiledSpec) {
    this.compiled = toCompiled(spec);
  }

  /**
   * Indexes the message in buf[off .. off+len). With `exact` (default), bytes after the last field are
   * E_8583_LENGTH; without, `end` tells where the message stopped.
   */
  parse(buf: Uint8Array, off = 0, len = buf.length - off, exact = true): this {
    const c = this.compiled;
    const bm = this.bitmap;
    this.valid = false;
    const stop = off + len;
    if (!(off >= 0 && len >= 0 && stop <= buf.length)) fail("E_8583_TRUNCATED", -1, `range ${off}+${len} outside the buffer of ${buf.length}`);
    this.buffer = buf;
    this.start = off;
    let p = off;
    // MTI
    const mtiBytes = c.mtiBcd ? 2 : 4;
    if (p + mtiBytes > stop) fail("E_8583_TRUNCATED", 0, "message ends inside the MTI");
    if (c.mtiBcd) {
      const a = buf[p]!;
      const b = buf[p + 1]!;
      if ((a & 15) > 9 || a >> 4 > 9 || (b & 15) > 9 || b >> 4 > 9) fail("E_8583_FIELD", 0, "MTI is not BCD");
      this.mti = HEX[a >> 4]! + HEX[a & 15]! + HEX[b >> 4]! + HEX[b & 15]!;
    } else {
      for (let i = 0; i < 4; i++) {
        const ch = buf[p + i]!;
        if (ch < 48 || ch > 57) fail("E_8583_FIELD", 0, "MTI is not 4 ASCII digits");
      }
      this.mti = String.fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!);
    }
    p += mtiBytes;
    // Bitmap(s)
    p = this.readBitmap(buf, p, stop, 0);
    let mapBytes = 8;
    if (bm[0]! & 0x80) {
      if (!c.secondary) fail("E_8583_BITMAP", 1, `bit 1 (secondary bitmap) set, the ${c.spec.name} dialect has none`);
      p = this.readBitmap(buf, p, stop, 8);
      mapBytes = 16;
    } else for (let i = 8; i < 16; i++) bm[i] = 0;
    // Fields
    const type = c.type;
    const fixedWire = c.fixedWire;
    const lengths = c.length;
    const fieldStart = this.fieldStart;
    const dataStart = this.dataStart;
    const dataBytes = this.dataBytes;
    const unitsOf = this.units;
    for (let i = 0; i < mapBytes; i++) {
      let byte = bm[i]!;
      if (i === 0) byte &= 0x7f; // bit 1 = the secondary bitmap, already read
      while (byte !== 0) {
        const j = Math.clz32(byte) - 24; // next set bit, MSB first
        byte ^= 0x80 >> j;
        const n = (i << 3) + j + 1;
        const t = type[n]!;
        if (t === 0) fail("E_8583_UNKNOWN_FIELD", n, `bit set for a field the ${c.spec.name} spec lacks`);
        fieldStart[n] = p;
        let units: number;
        let wire = fixedWire[n]!;
        if (wire !== 0) units = lengths[n]!;
        else {
          const e = c.enc[n]!;
          const pb = c.prefixBytes[n]!;
          if (p + pb > stop) fail("E_8583_TRUNCATED", n, "message ends inside the length prefix");
          let L: number;
          const pe = c.prefixEnc[n];
          if (pe === ENC_BCD) {
            L = 0;
            for (let q = 0; q < pb; q++) {
              const x = buf[p + q]!;
              if (x >> 4 > 9 || (x & 15) > 9) fail("E_8583_LENGTH", n, "length prefix is not BCD");
              L = L * 100 + (x >> 4) * 10 + (x & 15);
            }
          } else if (pe === ENC_ASCII) {
            L = 0;
            for (let q = 0; q < pb; q++) {
              const x = buf[p + q]! - 48;
              if (x < 0 || x > 9) fail("E_8583_LENGTH", n, "length prefix is not ASCII digits");
              L = L * 10 + x;
            }
          } else L = pb === 1 ? buf[p]! : (buf[p]! << 8) | buf[p + 1]!;
          p += pb;
          const max = c.length[n]!;
          if (c.countsBytes[n]) {
            wire = L;
            if (wire > wireBytesOf(t, e, max)) fail("E_8583_LENGTH", n, `length ${L} bytes above the maximum`);
            if (e === ENC_HEX) {
              if (wire & 1) fail("E_8583_LENGTH", n, `odd hex length ${L}`);
              units = wire >> 1;
            } else if (e === ENC_BCD) {
              units = wire * 2;
              // A pad nibble F can be told apart from a digit: drop it from the count.
              if (units > 0 && c.pad[n] === 15 && p + wire <= stop) {
                const edge = c.alignLeft[n] ? buf[p + wire - 1]! & 15 : buf[p]! >> 4;
                if (edge === 15) units--;
              }
            } else units = wire;
          } else {
            units = L;
            if (units > max) fail("E_8583_LENGTH", n, `length ${L} above the maximum ${max}`);
            wire = wireBytesOf(t, e, units);
          }
        }
        if (p + wire > stop) fail("E_8583_TRUNCATED", n, `needs ${wire} bytes, ${stop - p} left`);
        dataStart[n] = p;
        dataBytes[n] = wire;
        unitsOf[n] = units;
        p += wire;
      }
    }
    if (exact && p !== stop) fail("E_8583_LENGTH", -1, `${stop - p} bytes after the last field`);
    this.end = p;
    this.macStart = off;
    this.macEnd = bm[15]! & 1 ? this.fieldStart[128]! : bm[7]! & 1 ? this.fieldStart[64]! : -1;
    this.valid = true;
    return this;
  }

  private readBitmap(buf: Uint8Array, p: number, stop: number, at: number): number {
    const bm = this.bitmap;
    if (this.compiled.bitmapHex) {
      if (p + 16 > stop) fail("E_8583_TRUNCATED", 1, "message ends inside the bitmap");
      for (let i = 0; i < 8; i++) {
        const hi = hexValue(buf[p + 2 * i]!);
        const lo = hexValue(buf[p + 2 * i + 1]!);
        if (hi < 0 || lo < 0) fail("E_8583_BITMAP", 1, "bitmap is not hex");
        bm[at + i] = (hi << 4) | lo;
      }
      return p + 16;
    }
    if (p + 8 > stop) fail("E_8583_TRUNCATED", 1, "message ends inside the bitmap");
    for (let i = 0; i < 8; i++) bm[at + i] = buf[p + i]!;
    return p + 8;
  }

  /** Whether field n is present. */
  has(n: number): boolean {
    return this.valid && n >= 2 && n <= 128 && (this.bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7))) !== 0;
  }

  /** Present field numbers in ascending order (allocates: for tools and logs). */
  fields(): number[] {
    const r: number[] = [];
    for (let n = 2; n <= 128; n++) if (this.has(n)) r.push(n);
    return r;
  }

  /**
   * The value of field n as a string: digits (n), track data with `D` (BCD z) or `=` (ASCII z), the text
   * (an, ans: one char per byte, fill kept), upper-case hex (b). Undefined when absent. Content not valid for
   * the type -> E_8583_FIELD.
   */
  getString(n: number): string | undefined {
    if (!(this.valid && n >= 2 && n <= 128 && this.bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7)))) return undefined; // has(n), inlined
    const c = this.compiled;
    const e = c.enc[n]!;
    if (e === ENC_BCD) {
      const track = c.type[n] === T_Z;
      try {
        return bcdDecode(this.buffer, this.dataStart[n]!, this.units[n]!, c.alignLeft[n] ? "left" : "right", track);
      } catch (err) {
        return fail("E_8583_FIELD", n, `not ${track ? "track" : "numeric"} BCD`);
      }
    }
    const t = c.type[n]!;
    const buf = this.buffer;
    const d = this.dataStart[n]!;
    const units = this.units[n]!;
    if (e === ENC_ASCII) {
      const mask = TYPE_MASK[t]!;
      if (units <= CODES_MAX) {
        const a = CODES[units] || (CODES[units] = new Array<number>(units).fill(0));
        for (let i = 0; i < units; i++) {
          const ch = buf[d + i]!;
          if (!(CLASS[ch]! & mask)) fail("E_8583_FIELD", n, `byte ${ch} at ${i} is not valid for ${c.spec.fields[n]!.type}`);
          a[i] = ch;
        }
        return String.fromCharCode.apply(null, a);
      }
      for (let i = 0; i < units; i++) {
        const ch = buf[d + i]!;
        if (!(CLASS[ch]! & mask)) fail("E_8583_FIELD", n, `byte ${ch} at ${i} is not valid for ${c.spec.fields[n]!.type}`);
      }
      return bytesToAscii(buf, d, units);
    }
    if (e === ENC_BINARY) return bytesToHex(buf, d, units);
    for (let i = 0; i < 2 * units; i++) if (hexValue(buf[d + i]!) < 0) fail("E_8583_FIELD", n, "not hex");
    return bytesToAscii(buf, d, 2 * units).toUpperCase();
  }

  /**
   * The bytes of field n: a view into the message (copy=false) or a copy. For hex-encoded b fields the decoded
   * bytes (always a new array); for n/z BCD the packed nibbles; for an/ans the raw text bytes (not checked).
   */
  getBytes(n: number, copy = false): Uint8Array | undefined {
    if (!(this.valid && n >= 2 && n <= 128 && this.bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7)))) return undefined; // has(n), inlined
    const c = this.compiled;
    const d = this.dataStart[n]!;
    const buf = this.buffer;
    if (c.enc[n] === ENC_HEX) {
      const units = this.units[n]!;
      const out = new Uint8Array(units);
      for (let i = 0; i < units; i++) {
        const hi = hexValue(buf[d + 2 * i]!);
        const lo = hexValue(buf[d + 2 * i + 1]!);
        if (hi < 0 || lo < 0) fail("E_8583_FIELD", n, "not hex");
        out[i] = (hi << 4) | lo;
      }
      return out;
    }
    const w = this.dataBytes[n]!;
    return copy ? buf.slice(d, d + w) : buf.subarray(d, d + w);
  }

  /** A numeric field (up to 15 digits, e.g. an amount in fen) as a number; undefined when absent. */
  getNumber(n: number): number | undefined {
    if (!(this.valid && n >= 2 && n <= 128 && this.bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7)))) return undefined; // has(n), inlined
    const c = this.compiled;
    if (c.type[n] !== T_N) fail("E_8583_FIELD", n, "not a numeric field");
    const units = this.units[n]!;
    if (units > 15) fail("E_8583_FIELD", n, `${units} digits exceed a safe integer`);
    if (c.enc[n] === ENC_BCD && (!(units & 1) || !c.alignLeft[n])) {
      try {
        return bcdDecodeNumber(this.buffer, this.dataStart[n]!, units);
      } catch (err) {
        return fail("E_8583_FIELD", n, "not numeric BCD");
      }
    }
    const s = this.getString(n)!;
    let v = 0;
    for (let i = 0; i < s.length; i++) v = v * 10 + (s.charCodeAt(i) - 48);
    return v;
  }

  /** A view of the MAC input: MTI .. the byte before field 128 (else 64). No MAC field -> E_8583_FIELD. */
  macInput(): Uint8Array {
    if (!this.valid || this.macEnd < 0) fail("E_8583_FIELD", 64, "no MAC field (64 or 128) in the message");
    return this.buffer.subarray(this.macStart, this.macEnd);
  }

  /** The MAC field's bytes (128 if present, else 64), a view. */
  mac(): Uint8Array | undefined {
    return this.has(128) ? this.getBytes(128) : this.getBytes(64);
  }
}

// ---- describe -------------------------------------------------------------------------------------------

function maskPan(s: string): string {
  if (s.length < 11) {
    let m = "";
    for (let i = 0; i < s.length; i++) m += "*";
    return m;
  }
  let m = s.substring(0, 6);
  for (let i = 6; i < s.length - 4; i++) m += "*";
  return m + s.substring(s.length - 4);
}

function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 32 || ch > 126) return false;
  }
  return true;
}

function label(text: string, width: number): string {
  let s = text + " ";
  while (s.length < width) s += ".";
  return s + " ";
}

/**
 * A multi-line description of a parsed message for logs and tools: MTI, bitmap, then one line per field.
 * PANs (redact "pan") show the first 6 and last 4 digits; tracks, PIN block, MAC, keys (redact "all") show
 * only their length. A field whose content is invalid shows its error code instead of throwing.
 */
export function describe(msg: Iso8583Message): string {
  const c = msg.compiled;
  const lines: string[] = [];
  lines.push(`${c.spec.name} message`);
  lines.push(label("MTI", 36) + msg.mti);
  const mapBytes = msg.bitmap[0]! & 0x80 ? 16 : 8;
  let bm = "";
  for (let i = 0; i < mapBytes; i++) bm += HEX[msg.bitmap[i]! >> 4]! + HEX[msg.bitmap[i]! & 15]!;
  lines.push(label("Bitmap", 36) + bm);
  for (let n = 2; n <= 128; n++) {
    if (!msg.has(n)) continue;
    const f = c.spec.fields[n]!;
    const num = n < 10 ? `F${n}  ` : n < 100 ? `F${n} ` : `F${n}`;
    let text: string;
    const r = c.redact[n];
    const unit = c.type[n] === T_B ? "bytes" : c.type[n] === T_N || c.type[n] === T_Z ? "digits" : "chars";
    if (r === 2) text = `[redacted, ${msg.units[n]} ${unit}]`;
    else {
      try {
        const s = msg.getString(n)!;
        const t = c.type[n];
        if (r === 1) text = maskPan(s);
        else if (t === T_B || t === T_N || t === T_Z) text = s;
        else if (printable(s)) text = `"${s}"`;
        else text = `hex ${bytesHex(msg.getBytes(n)!)}`;
      } catch (e) {
        const code = (e as { code?: string }).code;
        text = `<invalid: ${code ?? "error"}>`;
      }
    }
    lines.push(label(`${num} ${f.name}`, 36) + text);
  }
  return lines.join("\n");
}

function bytesHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Packs into a new array of exactly the message's size (convenience for tools and tests; allocates). */
export function packToBytes(packer: Iso8583Packer, mti: string, values: FieldValues, capacity = 4096): Uint8Array {
  const out = new Uint8Array(capacity);
  const end = packer.pack(mti, values, out, 0);
  return out.slice(0, end);
}

export { T_AN, T_ANS, T_B, T_N, T_Z, ENC_ASCII, ENC_BCD, ENC_BINARY, ENC_HEX };
