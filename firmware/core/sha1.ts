/**
 * SHA-1 (FIPS 180-4 §6.1), as EMV uses it for certificate and signed-data hashes (EMV Book 2 Annex B3).
 *
 * Every 32-bit word is kept as two 16-bit halves (hi, lo) so that each intermediate stays a small
 * integer: on JerryScript a value beyond ±2^27 is a heap-allocated double. The message schedule lives
 * in two module-level Uint16Array(80) reused by every block (the hash is synchronous), so hashing
 * allocates nothing per block.
 */
import { MdHash } from "./md-hash";

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

const IV = Uint16Array.of(0x6745, 0x2301, 0xefcd, 0xab89, 0x98ba, 0xdcfe, 0x1032, 0x5476, 0xc3d2, 0xe1f0);

/**
 * Incremental SHA-1: `update` any number of times, then `digest`. Reusable after `reset()` (digest
 * resets it too).
 */
export class Sha1 extends MdHash {
  constructor() {
    super("SHA-1", IV, compress);
  }
}

let shared: Sha1 | undefined;

/** SHA-1 of data[off .. off+len) (one shared hasher: do not call from inside an update loop of another). */
export function sha1(data: Uint8Array, off = 0, len = data.length - off): Uint8Array {
  const h = shared ?? (shared = new Sha1());
  h.reset();
  return h.update(data, off, len).digest();
}
