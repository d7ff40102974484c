/**
 * A small binary record codec for what the terminal keeps in the power-fail-safe store (journal records,
 * parameters, counters, the pending reversal): fixed-order fields written by a writer and read back in the same
 * order by a reader. Integers are unsigned big-endian (1, 2, 3, 4 or 6 bytes: amounts up to 2^48 stay exact
 * without BigInt and without 32-bit overflow), strings carry a 1- or 2-byte length and are stored as UTF-8,
 * byte strings likewise. A reader that runs past the end throws E_RECORD_TRUNCATED, so a record written by an
 * older layout is detected instead of misread (each record type starts with its own version byte).
 *
 * No allocation per byte; one output array per record.
 */
import { CoreError } from "../core/errors";

export class RecordWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 128) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): number {
    const need = this.length + n;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const b = new Uint8Array(size);
      b.set(this.buf.subarray(0, this.length));
      this.buf = b;
    }
    const at = this.length;
    this.length = need;
    return at;
  }

  u8(v: number): this {
    const p = this.room(1); // room() may replace this.buf: read it after
    this.buf[p] = v & 255;
    return this;
  }

  u16(v: number): this {
    const p = this.room(2);
    this.buf[p] = (v >>> 8) & 255;
    this.buf[p + 1] = v & 255;
    return this;
  }

  u24(v: number): this {
    const p = this.room(3);
    this.buf[p] = (v >>> 16) & 255;
    this.buf[p + 1] = (v >>> 8) & 255;
    this.buf[p + 2] = v & 255;
    return this;
  }

  u32(v: number): this {
    const p = this.room(4);
    this.buf[p] = (v >>> 24) & 255;
    this.buf[p + 1] = (v >>> 16) & 255;
    this.buf[p + 2] = (v >>> 8) & 255;
    this.buf[p + 3] = v & 255;
    return this;
  }

  /** 0 .. 2^48 - 1 (amounts in fen up to 12 digits, times in ms). */
  u48(v: number): this {
    if (!(v >= 0 && v < 281474976710656) || v !== Math.floor(v)) throw new CoreError("E_RECORD_VALUE", `${v} is not a 48-bit unsigned integer`);
    const hi = Math.floor(v / 16777216);
    const lo = v - hi * 16777216;
    return this.u24(hi).u24(lo);
  }

  /** A string as UTF-8 with a 1-byte length (up to 255 bytes). */
  str(s: string | undefined): this {
    return this.strN(s, 1);
  }

  /** A string as UTF-8 with a 2-byte length. */
  longStr(s: string | undefined): this {
    return this.strN(s, 2);
  }

  private strN(s: string | undefined, lenBytes: 1 | 2): this {
    const v = s ?? "";
    // Count UTF-8 bytes first, then write in place (no intermediate array).
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x80) n++;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c < 0xdc00 && i + 1 < v.length) {
        n += 4;
        i++;
      } else n += 3;
    }
    if (n > (lenBytes === 1 ? 255 : 65535)) throw new CoreError("E_RECORD_VALUE", `string of ${n} bytes too long for the record`);
    if (lenBytes === 1) this.u8(n);
    else this.u16(n);
    let p = this.room(n);
    const b = this.buf;
    for (let i = 0; i < v.length; i++) {
      let c = v.charCodeAt(i);
      if (c < 0x80) b[p++] = c;
      else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < v.length) {
        c = 0x10000 + ((c - 0xd800) << 10) + (v.charCodeAt(++i) - 0xdc00);
        b[p++] = 0xf0 | (c >> 18);
        b[p++] = 0x80 | ((c >> 12) & 63);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
    return this;
  }

  /** Bytes with a 2-byte length. */
  bytes(v: Uint8Array | undefined): this {
    const n = v ? v.length : 0;
    if (n > 65535) throw new CoreError("E_RECORD_VALUE", "byte string too long for the record");
    this.u16(n);
    if (v) {
      const at = this.room(n); // may grow (replace) the buffer: read this.buf after it
      this.buf.set(v, at);
    }
    return this;
  }

  /** The record (a copy of exactly `length` bytes). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  reset(): this {
    this.length = 0;
    return this;
  }
}

export class RecordReader {
  p: number;
  private readonly end: number;

  constructor(private readonly b: Uint8Array, off = 0, len = b.length - off) {
    this.p = off;
    this.end = off + len;
  }

  private take(n: number): number {
    const at = this.p;
    if (at + n > this.end) throw new CoreError("E_RECORD_TRUNCATED", `record ends at ${this.end}, needs ${at + n}`);
    this.p = at + n;
    return at;
  }

  get remaining(): number {
    return this.end - this.p;
  }

  u8(): number {
    return this.b[this.take(1)]!;
  }
  u16(): number {
    const p = this.take(2);
    return (this.b[p]! << 8) | this.b[p + 1]!;
  }
  u24(): number {
    const p = this.take(3);
    return (this.b[p]! << 16) | (this.b[p + 1]! << 8) | this.b[p + 2]!;
  }
  u32(): number {
    const p = this.take(4);
    return this.b[p]! * 16777216 + ((this.b[p + 1]! << 16) | (this.b[p + 2]! << 8) | this.b[p + 3]!);
  }
  u48(): number {
    const hi = this.u24();
    return hi * 16777216 + this.u24();
  }

  str(): string {
    return this.utf8(this.u8());
  }
  longStr(): string {
    return this.utf8(this.u16());
  }

  private utf8(n: number): string {
    const p = this.take(n);
    const b = this.b;
    const end = p + n;
    let s = "";
    for (let i = p; i < end; ) {
      const c = b[i]!;
      let cp: number;
      if (c < 0x80) {
        cp = c;
        i++;
      } else if (c < 0xe0 && i + 1 < end) {
        cp = ((c & 31) << 6) | (b[i + 1]! & 63);
        i += 2;
      } else if (c < 0xf0 && i + 2 < end) {
        cp = ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
        i += 3;
      } else if (i + 3 < end) {
        cp = ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63);
        i += 4;
      } else throw new CoreError("E_RECORD_TRUNCATED", "UTF-8 sequence cut short");
      s += String.fromCodePoint(cp);
    }
    return s;
  }

  bytes(): Uint8Array {
    const n = this.u16();
    const p = this.take(n);
    return this.b.slice(p, p + n);
  }
}
