/**
 * A small CBOR (RFC 8949) codec for the test agent's frames and the diagnostic export: unsigned and
 * negative integers (to 2^53), byte strings, UTF-8 text, arrays, maps with string or integer keys,
 * false/true/null/undefined and floats. No tags, no indefinite lengths on encode (accepted on decode
 * for byte/text strings, arrays and maps). cbor-x would cost ~30 KB of bundle and ~76 KB of heap per
 * encode + decode on JerryScript; this is a few KB.
 */
import { CoreError } from "./errors";
import { utf8Decode, utf8Length, utf8Write } from "./utf8";

export type CborValue = number | string | boolean | null | undefined | Uint8Array | CborValue[] | { [key: string]: CborValue };

const MAX_DEPTH = 32;

export class CborWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  private head(major: number, n: number): void {
    this.room(9);
    const b = this.buf;
    const m = major << 5;
    if (n < 24) b[this.pos++] = m | n;
    else if (n < 0x100) {
      b[this.pos++] = m | 24;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25;
      b[this.pos++] = n >> 8;
      b[this.pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      b[this.pos++] = m | 26;
      this.u32(n);
    } else {
      b[this.pos++] = m | 27;
      this.u32(Math.floor(n / 0x100000000));
      this.u32(n % 0x100000000);
    }
  }
  private u32(n: number): void {
    const b = this.buf;
    b[this.pos++] = Math.floor(n / 0x1000000) & 0xff;
    b[this.pos++] = (n >>> 16) & 0xff;
    b[this.pos++] = (n >>> 8) & 0xff;
    b[this.pos++] = n & 0xff;
  }
  write(v: CborValue, depth = 0): this {
    if (depth > MAX_DEPTH) throw new CoreError("E_CBOR_DEPTH", "value nested too deeply");
    if (v === null) this.byte(0xf6);
    else if (v === undefined) this.byte(0xf7);
    else if (v === false) this.byte(0xf4);
    else if (v === true) this.byte(0xf5);
    else if (typeof v === "number") {
      if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
        if (v >= 0) this.head(0, v);
        else this.head(1, -1 - v);
      } else {
        this.room(9);
        this.buf[this.pos++] = 0xfb;
        new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v);
        this.pos += 8;
      }
    } else if (typeof v === "string") {
      const n = utf8Length(v);
      this.head(3, n);
      this.room(n);
      this.pos = utf8Write(v, this.buf, this.pos);
    } else if (v instanceof Uint8Array) {
      this.head(2, v.length);
      this.room(v.length);
      this.buf.set(v, this.pos);
      this.pos += v.length;
    } else if (Array.isArray(v)) {
      this.head(4, v.length);
      for (let i = 0; i < v.length; i++) this.write(v[i], depth + 1);
    } else if (typeof v === "object") {
      const keys = Object.keys(v);
      this.head(5, keys.length);
      for (const k of keys) {
        this.write(k, depth + 1);
        this.write(v[k], depth + 1);
      }
    } else throw new CoreError("E_CBOR_UNSUPPORTED", `cannot encode a ${typeof v}`);
    return this;
  }
  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  /** The encoded bytes (a copy) and a reset for reuse. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}

export function cborEncode(v: CborValue): Uint8Array {
  return new CborWriter().write(v).take();
}

/** Decodes exactly one item filling b[off .. off+len); trailing bytes are E_CBOR_TRAILING. */
export function cborDecode(b: Uint8Array, off = 0, len = b.length - off): CborValue {
  const r = new Reader(b, off, off + len);
  const v = r.item(0);
  if (r.pos !== off + len) throw new CoreError("E_CBOR_TRAILING", `${off + len - r.pos} bytes after the item`);
  return v;
}

const BREAK = {};

class Reader {
  constructor(private readonly b: Uint8Array, public pos: number, private readonly end: number) {}

  private need(n: number): void {
    if (this.pos + n > this.end) throw new CoreError("E_CBOR_TRUNCATED", `needs ${n} more bytes at ${this.pos}`);
  }
  private arg(info: number): number {
    const b = this.b;
    if (info < 24) return info;
    if (info === 24) {
      this.need(1);
      return b[this.pos++]!;
    }
    if (info === 25) {
      this.need(2);
      const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
      this.pos += 2;
      return v;
    }
    if (info === 26) {
      this.need(4);
      const v = b[this.pos]! * 0x1000000 + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
      this.pos += 4;
      return v;
    }
    if (info === 27) {
      this.need(8);
      const hi = this.arg(26);
      const lo = this.arg(26);
      if (hi >= 0x200000) throw new CoreError("E_CBOR_UNSUPPORTED", "integer beyond 2^53");
      return hi * 0x100000000 + lo;
    }
    throw new CoreError("E_CBOR_MALFORMED", `additional info ${info} at ${this.pos - 1}`);
  }
  /** A definite length that cannot exceed the remaining input (guards allocation from garbage). */
  private length(info: number, minBytesEach: number): number {
    const n = this.arg(info);
    if (n * minBytesEach > this.end - this.pos) throw new CoreError("E_CBOR_TRUNCATED", `length ${n} beyond the input`);
    return n;
  }
  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) throw new CoreError("E_CBOR_DEPTH", "nested too deeply");
    this.need(1);
    const ib = this.b[this.pos++]!;
    const major = ib >> 5;
    const info = ib & 31;
    switch (major) {
      case 0:
        return this.arg(info);
      case 1:
        return -1 - this.arg(info);
      case 2:
      case 3: {
        if (info === 31) return this.chunks(major, depth);
        const n = this.length(info, 1);
        const start = this.pos;
        this.pos += n;
        if (major === 3) return utf8Decode(this.b, start, n);
        const out = new Uint8Array(n);
        out.set(this.b.subarray(start, start + n));
        return out;
      }
      case 4: {
        const out: CborValue[] = [];
        if (info === 31) {
          for (;;) {
            const v = this.itemOrBreak(depth + 1);
            if (v === BREAK) return out;
            out.push(v as CborValue);
          }
        }
        const n = this.length(info, 1);
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        const out: { [key: string]: CborValue } = {};
        const n = info === 31 ? -1 : this.length(info, 2);
        for (let i = 0; n < 0 || i < n; i++) {
          const k = n < 0 ? this.itemOrBreak(depth + 1) : this.item(depth + 1);
          if (k === BREAK) break;
          if (typeof k !== "string" && typeof k !== "number") throw new CoreError("E_CBOR_UNSUPPORTED", "map key must be text or an integer");
          out[String(k)] = this.item(depth + 1);
        }
        return out;
      }
      case 6:
        throw new CoreError("E_CBOR_UNSUPPORTED", "tags are not used here");
      default:
        return this.simple(info);
    }
  }
  private itemOrBreak(depth: number): CborValue | typeof BREAK {
    this.need(1);
    if (this.b[this.pos] === 0xff) {
      this.pos++;
      return BREAK;
    }
    return this.item(depth);
  }
  private chunks(major: number, depth: number): CborValue {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      this.need(1);
      if (this.b[this.pos] === 0xff) {
        this.pos++;
        break;
      }
      if (this.b[this.pos]! >> 5 !== major) throw new CoreError("E_CBOR_MALFORMED", "chunk of another type");
      const p = this.item(depth + 1);
      const bytes = typeof p === "string" ? null : (p as Uint8Array);
      if (!bytes) throw new CoreError("E_CBOR_UNSUPPORTED", "indefinite text strings are not used here");
      parts.push(bytes);
      total += bytes.length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  private simple(info: number): CborValue {
    const b = this.b;
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25: {
        this.need(2);
        const h = (b[this.pos]! << 8) | b[this.pos + 1]!;
        this.pos += 2;
        const exp = (h >> 10) & 31;
        const mant = h & 1023;
        const v = exp === 0 ? mant * Math.pow(2, -24) : exp === 31 ? (mant ? NaN : Infinity) : (mant + 1024) * Math.pow(2, exp - 25);
        return h & 0x8000 ? -v : v;
      }
      case 26:
      case 27: {
        const n = info === 26 ? 4 : 8;
        this.need(n);
        const dv = new DataView(b.buffer, b.byteOffset + this.pos, n);
        this.pos += n;
        return n === 4 ? dv.getFloat32(0) : dv.getFloat64(0);
      }
      default:
        throw new CoreError("E_CBOR_UNSUPPORTED", `simple value ${info}`);
    }
  }
}
