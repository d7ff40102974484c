/**
 * SHA-1 (FIPS 180-4 §6.1), as EMV uses it for certificate and signed-data hashes (EMV Book 2 Annex B3).
 *
 * Every 32-bit word is kept as two 16-bit halves (hi, lo) so that each intermediate stays a small
 * integer: on JerryScript a value beyond ±2^27 is a heap-allocated double. The message schedule lives
 * in two module-level Uint16Array(80) reused by every block (the hash is synchronous), so hashing
 * allocates nothing per block.
 */
import { CoreError } from "./errors";

export const SHA1_LENGTH = 20;

const WH = new Uint16Array(80);
const WL = new Uint16Array(80);

/** Round constants as halves: 5A827999, 6ED9EBA1, 8F1BBCDC, CA62C1D6. */
const KH = [0x5a82, 0x6ed9, 0x8f1b, 0xca62];
const KL = [0x7999, 0xeba1, 0xbcdc, 0xc1d6];

/** Compresses the 64-byte block at buf[off] into the state (10 halves: h0 hi, h0 lo, ... h4 lo). */
function compress(s: Uint16Array, buf: Uint8Array, off: number): void {
  const wh = WH;
  const wl = WL;
  let t = 0;
  for (t = 0; t < 16; t++) {
    const p = off + 4 * t;
    wh[t] = (buf[p]! << 8) | buf[p + 1]!;
    wl[t] = (buf[p + 2]! << 8) | buf[p + 3]!;
  }
  let xh = 0;
  let xl = 0;
  for (t = 16; t < 80; t++) {
    // W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])
    xh = wh[t - 3]! ^ wh[t - 8]! ^ wh[t - 14]! ^ wh[t - 16]!;
    xl = wl[t - 3]! ^ wl[t - 8]! ^ wl[t - 14]! ^ wl[t - 16]!;
    wh[t] = ((xh << 1) | (xl >>> 15)) & 0xffff;
    wl[t] = ((xl << 1) | (xh >>> 15)) & 0xffff;
  }
  let ah = s[0]!;
  let al = s[1]!;
  let bh = s[2]!;
  let bl = s[3]!;
  let ch = s[4]!;
  let cl = s[5]!;
  let dh = s[6]!;
  let dl = s[7]!;
  let eh = s[8]!;
  let el = s[9]!;
  let fh = 0;
  let fl = 0;
  let k = 0;
  let lo = 0;
  let hi = 0;
  for (t = 0; t < 80; t++) {
    if (t < 20) {
      fh = (bh & ch) | (~bh & dh);
      fl = (bl & cl) | (~bl & dl);
      k = 0;
    } else if (t < 40) {
      fh = bh ^ ch ^ dh;
      fl = bl ^ cl ^ dl;
      k = 1;
    } else if (t < 60) {
      fh = (bh & ch) | (bh & dh) | (ch & dh);
      fl = (bl & cl) | (bl & dl) | (cl & dl);
      k = 2;
    } else {
      fh = bh ^ ch ^ dh;
      fl = bl ^ cl ^ dl;
      k = 3;
    }
    // T = ROTL5(a) + f + e + K + W[t]; the sum of five 16-bit halves stays below 2^19.
    lo = (((al << 5) | (ah >>> 11)) & 0xffff) + (fl & 0xffff) + el + KL[k]! + wl[t]!;
    hi = (((ah << 5) | (al >>> 11)) & 0xffff) + (fh & 0xffff) + eh + KH[k]! + wh[t]! + (lo >>> 16);
    eh = dh;
    el = dl;
    dh = ch;
    dl = cl;
    // c = ROTL30(b) = ROTR2(b)
    ch = (bh >>> 2) | ((bl & 3) << 14);
    cl = (bl >>> 2) | ((bh & 3) << 14);
    bh = ah;
    bl = al;
    ah = hi & 0xffff;
    al = lo & 0xffff;
  }
  lo = s[1]! + al;
  s[0] = (s[0]! + ah + (lo >>> 16)) & 0xffff;
  s[1] = lo & 0xffff;
  lo = s[3]! + bl;
  s[2] = (s[2]! + bh + (lo >>> 16)) & 0xffff;
  s[3] = lo & 0xffff;
  lo = s[5]! + cl;
  s[4] = (s[4]! + ch + (lo >>> 16)) & 0xffff;
  s[5] = lo & 0xffff;
  lo = s[7]! + dl;
  s[6] = (s[6]! + dh + (lo >>> 16)) & 0xffff;
  s[7] = lo & 0xffff;
  lo = s[9]! + el;
  s[8] = (s[8]! + eh + (lo >>> 16)) & 0xffff;
  s[9] = lo & 0xffff;
}

/**
 * Incremental SHA-1: `update` any number of times, then `digest`. Reusable after `reset()` (digest
 * resets it too). One object holds 64 + 20 bytes of state.
 */
export class Sha1 {
  private readonly state = new Uint16Array(10);
  private readonly block = new Uint8Array(64);
  private used = 0;
  /** Bytes hashed so far (a double: exact up to 2^53). */
  private total = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    const s = this.state;
    s[0] = 0x6745;
    s[1] = 0x2301;
    s[2] = 0xefcd;
    s[3] = 0xab89;
    s[4] = 0x98ba;
    s[5] = 0xdcfe;
    s[6] = 0x1032;
    s[7] = 0x5476;
    s[8] = 0xc3d2;
    s[9] = 0xe1f0;
    this.used = 0;
    this.total = 0;
    return this;
  }

  /** Adds data[off .. off+len). */
  update(data: Uint8Array, off = 0, len = data.length - off): this {
    if (!(off >= 0 && len >= 0 && off + len <= data.length)) throw new CoreError("E_RANGE", `SHA-1 input ${off}+${len} outside 0..${data.length}`);
    const block = this.block;
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
      compress(this.state, this.block, 0);
      this.used = 0;
    }
    return this;
  }

  /** Finishes: writes the 20-byte hash at out[off] (a new array without `out`) and resets. */
  digest(out?: Uint8Array, off = 0): Uint8Array {
    const o = out ?? new Uint8Array(SHA1_LENGTH);
    if (!(off >= 0 && off + SHA1_LENGTH <= o.length)) throw new CoreError("E_RANGE", "no room for a SHA-1 hash");
    const block = this.block;
    // Length in bits, big-endian over 8 bytes: bytes * 8 split without going past 2^32 per part.
    const total = this.total;
    const hiBytes = Math.floor(total / 0x20000000); // bits above 2^32
    const loBits = (total % 0x20000000) * 8; // < 2^32
    let used = this.used;
    block[used++] = 0x80;
    if (used > 56) {
      while (used < 64) block[used++] = 0;
      compress(this.state, block, 0);
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
    compress(this.state, block, 0);
    const s = this.state;
    for (let i = 0; i < 10; i++) {
      o[off + 2 * i] = s[i]! >>> 8;
      o[off + 2 * i + 1] = s[i]! & 0xff;
    }
    this.reset();
    return o;
  }
}

let shared: Sha1 | undefined;

/** SHA-1 of data[off .. off+len) (one shared hasher: do not call from inside an update loop of another). */
export function sha1(data: Uint8Array, off = 0, len = data.length - off): Uint8Array {
  const h = shared ?? (shared = new Sha1());
  h.reset();
  return h.update(data, off, len).digest();
}
