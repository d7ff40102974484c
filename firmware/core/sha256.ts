/**
 * SHA-256 (FIPS 180-4 §6.2), for firmware-image digests and RSA signature checks (firmware/update).
 *
 * Same shape as sha1.ts: every 32-bit word is two 16-bit halves (hi, lo) so that each intermediate stays a
 * small integer (JerryScript boxes values beyond ±2^27). Rotations mask the bits that wrap before shifting
 * them up, so no shift result exceeds 16 bits. The message schedule lives in two module-level
 * Uint16Array(64) reused by every block (the hash is synchronous): hashing allocates nothing per block.
 */
import { MdHash } from "./md-hash";

export const SHA256_LENGTH = 32;

const WH = new Uint16Array(64);
const WL = new Uint16Array(64);

/** Round constants K[0..63] as hi/lo halves (FIPS 180-4 §4.2.2). */
const K32 = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const KH = new Uint16Array(64);
const KL = new Uint16Array(64);
for (let i = 0; i < 64; i++) {
  KH[i] = Math.floor(K32[i]! / 0x10000);
  KL[i] = K32[i]! % 0x10000;
}

/** Initial hash value H(0) as halves. */
const IV = Uint16Array.of(0x6a09, 0xe667, 0xbb67, 0xae85, 0x3c6e, 0xf372, 0xa54f, 0xf53a, 0x510e, 0x527f, 0x9b05, 0x688c, 0x1f83, 0xd9ab, 0x5be0, 0xcd19);

/** Compresses the 64-byte block at buf[off] into the state (16 halves: a hi, a lo, ... h lo). */
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
  let yh = 0;
  let yl = 0;
  let lo = 0;
  for (t = 16; t < 64; t++) {
    // σ0(x) = ROTR7 ^ ROTR18 ^ SHR3 of W[t-15]
    xh = wh[t - 15]!;
    xl = wl[t - 15]!;
    const s0h = ((xh >>> 7) | ((xl & 0x7f) << 9)) ^ ((xl >>> 2) | ((xh & 3) << 14)) ^ (xh >>> 3);
    const s0l = ((xl >>> 7) | ((xh & 0x7f) << 9)) ^ ((xh >>> 2) | ((xl & 3) << 14)) ^ ((xl >>> 3) | ((xh & 7) << 13));
    // σ1(y) = ROTR17 ^ ROTR19 ^ SHR10 of W[t-2]
    yh = wh[t - 2]!;
    yl = wl[t - 2]!;
    const s1h = ((yl >>> 1) | ((yh & 1) << 15)) ^ ((yl >>> 3) | ((yh & 7) << 13)) ^ (yh >>> 10);
    const s1l = ((yh >>> 1) | ((yl & 1) << 15)) ^ ((yh >>> 3) | ((yl & 7) << 13)) ^ ((yl >>> 10) | ((yh & 0x3ff) << 6));
    lo = s1l + wl[t - 7]! + s0l + wl[t - 16]!;
    wh[t] = (s1h + wh[t - 7]! + s0h + wh[t - 16]! + (lo >>> 16)) & 0xffff;
    wl[t] = lo & 0xffff;
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
  let fh = s[10]!;
  let fl = s[11]!;
  let gh = s[12]!;
  let gl = s[13]!;
  let hh = s[14]!;
  let hl = s[15]!;
  let t1h = 0;
  let t1l = 0;
  let t2h = 0;
  let t2l = 0;
  for (t = 0; t < 64; t++) {
    // Σ1(e) = ROTR6 ^ ROTR11 ^ ROTR25
    const S1h = ((eh >>> 6) | ((el & 0x3f) << 10)) ^ ((eh >>> 11) | ((el & 0x7ff) << 5)) ^ ((el >>> 9) | ((eh & 0x1ff) << 7));
    const S1l = ((el >>> 6) | ((eh & 0x3f) << 10)) ^ ((el >>> 11) | ((eh & 0x7ff) << 5)) ^ ((eh >>> 9) | ((el & 0x1ff) << 7));
    // Ch(e, f, g) = (e & f) ^ (~e & g)
    const chh = (eh & fh) ^ (~eh & gh & 0xffff);
    const chl = (el & fl) ^ (~el & gl & 0xffff);
    // T1 = h + Σ1(e) + Ch + K[t] + W[t]: five halves, below 2^19.
    t1l = hl + S1l + chl + KL[t]! + wl[t]!;
    t1h = (hh + S1h + chh + KH[t]! + wh[t]! + (t1l >>> 16)) & 0xffff;
    t1l &= 0xffff;
    // Σ0(a) = ROTR2 ^ ROTR13 ^ ROTR22
    const S0h = ((ah >>> 2) | ((al & 3) << 14)) ^ ((ah >>> 13) | ((al & 0x1fff) << 3)) ^ ((al >>> 6) | ((ah & 0x3f) << 10));
    const S0l = ((al >>> 2) | ((ah & 3) << 14)) ^ ((al >>> 13) | ((ah & 0x1fff) << 3)) ^ ((ah >>> 6) | ((al & 0x3f) << 10));
    // Maj(a, b, c)
    const mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
    const mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
    t2l = S0l + mjl;
    t2h = S0h + mjh + (t2l >>> 16);
    t2l &= 0xffff;
    hh = gh;
    hl = gl;
    gh = fh;
    gl = fl;
    fh = eh;
    fl = el;
    lo = dl + t1l;
    eh = (dh + t1h + (lo >>> 16)) & 0xffff;
    el = lo & 0xffff;
    dh = ch;
    dl = cl;
    ch = bh;
    cl = bl;
    bh = ah;
    bl = al;
    lo = t1l + t2l;
    ah = (t1h + t2h + (lo >>> 16)) & 0xffff;
    al = lo & 0xffff;
  }
  addHalves(s, 0, ah, al);
  addHalves(s, 2, bh, bl);
  addHalves(s, 4, ch, cl);
  addHalves(s, 6, dh, dl);
  addHalves(s, 8, eh, el);
  addHalves(s, 10, fh, fl);
  addHalves(s, 12, gh, gl);
  addHalves(s, 14, hh, hl);
}

function addHalves(s: Uint16Array, i: number, h: number, l: number): void {
  const lo = s[i + 1]! + l;
  s[i] = (s[i]! + h + (lo >>> 16)) & 0xffff;
  s[i + 1] = lo & 0xffff;
}

/**
 * Incremental SHA-256: `update` any number of times, then `digest`. Reusable after `reset()` (digest
 * resets it too).
 */
export class Sha256 extends MdHash {
  constructor() {
    super("SHA-256", IV, compress);
  }
}

let shared: Sha256 | undefined;

/** SHA-256 of data[off .. off+len) (one shared hasher: do not call from inside an update loop of another). */
export function sha256(data: Uint8Array, off = 0, len = data.length - off): Uint8Array {
  const h = shared ?? (shared = new Sha256());
  h.reset();
  return h.update(data, off, len).digest();
}
