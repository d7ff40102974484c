/**
 * The Merkle–Damgård shell shared by SHA-1 and SHA-256 (FIPS 180-4 §5.1.1 padding, big-endian 64-bit
 * length): buffering, whole blocks straight from the input, padding and output. The state is kept as
 * 16-bit halves of the 32-bit words (see sha1.ts), so a subclass gives only its IV and compression.
 */
import { CoreError } from "./errors";

export type Compress = (state: Uint16Array, buf: Uint8Array, off: number) => void;

export abstract class MdHash {
  protected readonly state: Uint16Array;
  private readonly block = new Uint8Array(64);
  private used = 0;
  /** Bytes hashed so far (a double: exact up to 2^53). */
  private total = 0;

  /** `iv`: the initial state as 16-bit halves (h0 hi, h0 lo, ...); its length is twice the words of the hash. */
  protected constructor(
    private readonly name: string,
    private readonly iv: Uint16Array,
    private readonly compress: Compress,
  ) {
    this.state = new Uint16Array(iv.length);
    this.reset();
  }

  /** The hash's length in bytes. */
  get length(): number {
    return this.iv.length * 2;
  }

  reset(): this {
    this.state.set(this.iv);
    this.used = 0;
    this.total = 0;
    return this;
  }

  /** Adds data[off .. off+len). */
  update(data: Uint8Array, off = 0, len = data.length - off): this {
    if (!(off >= 0 && len >= 0 && off + len <= data.length)) throw new CoreError("E_RANGE", `${this.name} input ${off}+${len} outside 0..${data.length}`);
    const block = this.block;
    const compress = this.compress;
    let used = this.used;
    let p = off;
    const end = off + len;
    this.total += len;
    if (used > 0) {
      while (used < 64 && p < end) block[used++] = data[p++]!;
      if (used < 64) {
        this.used = used;
        return this;
      }
      compress(this.state, block, 0);
      used = 0;
    }
    // Whole blocks straight from the input, no copy.
    while (end - p >= 64) {
      compress(this.state, data, p);
      p += 64;
    }
    while (p < end) block[used++] = data[p++]!;
    this.used = used;
    return this;
  }

  /** Adds one byte. */
  updateByte(b: number): this {
    this.block[this.used++] = b & 0xff;
    this.total += 1;
    if (this.used === 64) {
      this.compress(this.state, this.block, 0);
      this.used = 0;
    }
    return this;
  }

  /** Finishes: writes the hash at out[off] (a new array without `out`) and resets. */
  digest(out?: Uint8Array, off = 0): Uint8Array {
    const n = this.length;
    const o = out ?? new Uint8Array(n);
    if (!(off >= 0 && off + n <= o.length)) throw new CoreError("E_RANGE", `no room for a ${this.name} hash`);
    const block = this.block;
    // Length in bits, big-endian over 8 bytes: bytes * 8 split without going past 2^32 per part.
    const total = this.total;
    const hiBytes = Math.floor(total / 0x20000000); // bits above 2^32
    const loBits = (total % 0x20000000) * 8; // < 2^32
    let used = this.used;
    block[used++] = 0x80;
    if (used > 56) {
      while (used < 64) block[used++] = 0;
      this.compress(this.state, block, 0);
      used = 0;
    }
    while (used < 56) block[used++] = 0;
    block[56] = (hiBytes >>> 24) & 0xff;
    block[57] = (hiBytes >>> 16) & 0xff;
    block[58] = (hiBytes >>> 8) & 0xff;
    block[59] = hiBytes & 0xff;
    const loHi = Math.floor(loBits / 0x10000);
    const loLo = loBits % 0x10000;
    block[60] = loHi >>> 8;
    block[61] = loHi & 0xff;
    block[62] = loLo >>> 8;
    block[63] = loLo & 0xff;
    this.compress(this.state, block, 0);
    const s = this.state;
    for (let i = 0; i < s.length; i++) {
      o[off + 2 * i] = s[i]! >>> 8;
      o[off + 2 * i + 1] = s[i]! & 0xff;
    }
    this.reset();
    return o;
  }
}
