/**
 * AES-128/192/256 (FIPS-197), table driven in 16-bit halves.
 *
 * Each 32-bit state column is held as two 16-bit halves so that no hot-loop value leaves the small
 * integers of an interpreter whose immediates stop at ±2^27 (JerryScript). The round tables Te1..Te3
 * are Te0 rotated right by 8, 16 and 24 bits; rotating by 16 just swaps the halves, so Te0 and Te1 in
 * high/low halves (four 256-entry 16-bit tables) serve all four, and likewise Td0/Td1 for the
 * equivalent inverse cipher. Tables (4.5 KB) are built once on first use; the S-box is computed from
 * its definition (multiplicative inverse in GF(2^8) and the affine map).
 */
import { type BlockCipher, ScheduledCipher, type BlockFn } from "./cipher";
import { CoreError } from "./errors";


let S: Uint8Array | undefined;
/** [Te0 high, Te0 low, Te1 high, Te1 low, Td0 high, Td0 low, Td1 high, Td1 low]. */
let TT: Uint16Array[] | undefined;
/** The block functions, made once with the tables (see tables()). */
let encrypt: BlockFn | undefined;
let decrypt: BlockFn | undefined;

/** x * 2 in GF(2^8) with the AES polynomial. */
function xtime(x: number): number {
  return ((x << 1) ^ (x & 0x80 ? 0x11b : 0)) & 255;
}

function mul(a: number, b: number): number {
  let r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}

/**
 * Builds the S-boxes and the round tables once, and the block functions as closures over them: a JIT
 * treats the captured constants as fixed, an interpreter reads them into locals once a block.
 */
function tables(): void {
  if (TT) return;
  // exp/log over the generator 3, the inverse of x is exp[255 - log x].
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x);
  }
  const s = new Uint8Array(256);
  const si = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let y = inv;
    for (let r = 1; r < 5; r++) y ^= ((inv << r) | (inv >> (8 - r))) & 255;
    y ^= 0x63;
    s[i] = y;
    si[y] = i;
  }
  const buf = new Uint16Array(8 * 256);
  const t: Uint16Array[] = [];
  for (let i = 0; i < 8; i++) t.push(buf.subarray(i * 256, i * 256 + 256));
  for (let i = 0; i < 256; i++) {
    const x = s[i]!;
    const x2 = xtime(x);
    const x3 = x2 ^ x;
    // Te0 = (2s, s, s, 3s), Te1 = (3s, 2s, s, s)
    t[0]![i] = (x2 << 8) | x;
    t[1]![i] = (x << 8) | x3;
    t[2]![i] = (x3 << 8) | x2;
    t[3]![i] = (x << 8) | x;
    const y = si[i]!;
    const y9 = mul(y, 9), yb = mul(y, 11), yd = mul(y, 13), ye = mul(y, 14);
    // Td0 = (14, 9, 13, 11)·si, Td1 = (11, 14, 9, 13)·si
    t[4]![i] = (ye << 8) | y9;
    t[5]![i] = (yd << 8) | yb;
    t[6]![i] = (yb << 8) | ye;
    t[7]![i] = (y9 << 8) | yd;
  }
  S = s;
  TT = t;
  encrypt = makeEncrypt(t[0]!, t[1]!, t[2]!, t[3]!, s);
  decrypt = makeDecrypt(t[4]!, t[5]!, t[6]!, t[7]!, si);
}

/**
 * The key expansion as high/low 16-bit pairs: ek in encryption order; dk for the equivalent inverse
 * cipher (round keys reversed, InvMixColumns applied to the inner ones).
 */
function schedule(key: Uint8Array, rounds: number): { ek: Uint16Array; dk: Uint16Array } {
  const s = S!;
  const nk = key.length >> 2;
  const words = 4 * (rounds + 1);
  const ek = new Uint16Array(2 * words);
  for (let i = 0; i < nk; i++) {
    ek[2 * i] = (key[4 * i]! << 8) | key[4 * i + 1]!;
    ek[2 * i + 1] = (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
  }
  let rcon = 1;
  for (let i = nk; i < words; i++) {
    let h = ek[2 * i - 2]!;
    let l = ek[2 * i - 1]!;
    if (i % nk === 0) {
      // SubWord(RotWord(w)) ^ Rcon
      const t = h;
      h = (s[h & 255]! << 8) | s[l >> 8]!;
      l = (s[l & 255]! << 8) | s[t >> 8]!;
      h ^= rcon << 8;
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk === 4) {
      h = (s[h >> 8]! << 8) | s[h & 255]!;
      l = (s[l >> 8]! << 8) | s[l & 255]!;
    }
    ek[2 * i] = ek[2 * (i - nk)]! ^ h;
    ek[2 * i + 1] = ek[2 * (i - nk) + 1]! ^ l;
  }
  const T = TT!;
  const d0h = T[4]!, d0l = T[5]!, d1h = T[6]!, d1l = T[7]!;
  const dk = new Uint16Array(2 * words);
  for (let r = 0; r <= rounds; r++) {
    const from = 8 * (rounds - r);
    for (let c = 0; c < 8; c += 2) {
      const h = ek[from + c]!;
      const l = ek[from + c + 1]!;
      if (r === 0 || r === rounds) {
        dk[8 * r + c] = h;
        dk[8 * r + c + 1] = l;
      } else {
        // InvMixColumns(w) = Td0[S[w0]] ^ Td1[S[w1]] ^ Td2[S[w2]] ^ Td3[S[w3]]
        const a = s[h >> 8]!, b = s[h & 255]!, c2 = s[l >> 8]!, d = s[l & 255]!;
        dk[8 * r + c] = d0h[a]! ^ d1h[b]! ^ d0l[c2]! ^ d1l[d]!;
        dk[8 * r + c + 1] = d0l[a]! ^ d1l[b]! ^ d0h[c2]! ^ d1h[d]!;
      }
    }
  }
  return { ek, dk };
}

function makeEncrypt(E0H: Uint16Array, E0L: Uint16Array, E1H: Uint16Array, E1L: Uint16Array, SBOX: Uint8Array): BlockFn {
  const E0H_ = E0H, E0L_ = E0L, E1H_ = E1H, E1L_ = E1L, SBOX_ = SBOX; // const: a JIT folds only immutable captured bindings
  return (ek, src, so, dst, dof) => {
    const e0h = E0H_, e0l = E0L_, e1h = E1H_, e1l = E1L_;
    let s0h = ((src[so]! << 8) | src[so + 1]!) ^ ek[0]!, s0l = ((src[so + 2]! << 8) | src[so + 3]!) ^ ek[1]!;
    let s1h = ((src[so + 4]! << 8) | src[so + 5]!) ^ ek[2]!, s1l = ((src[so + 6]! << 8) | src[so + 7]!) ^ ek[3]!;
    let s2h = ((src[so + 8]! << 8) | src[so + 9]!) ^ ek[4]!, s2l = ((src[so + 10]! << 8) | src[so + 11]!) ^ ek[5]!;
    let s3h = ((src[so + 12]! << 8) | src[so + 13]!) ^ ek[6]!, s3l = ((src[so + 14]! << 8) | src[so + 15]!) ^ ek[7]!;
    let a: number, b: number, c: number, d: number;
    let t0h: number, t0l: number, t1h: number, t1l: number, t2h: number, t2l: number;
    const last = ek.length - 8;
    let k = 8;
    for (; k < last; k += 8) {
      a = s0h >> 8; b = s1h & 255; c = s2l >> 8; d = s3l & 255;
      t0h = (ek[k]! ^ e0h[a]! ^ e1h[b]!) ^ (e0l[c]! ^ e1l[d]!);
      t0l = (ek[k + 1]! ^ e0l[a]! ^ e1l[b]!) ^ (e0h[c]! ^ e1h[d]!);
      a = s1h >> 8; b = s2h & 255; c = s3l >> 8; d = s0l & 255;
      t1h = (ek[k + 2]! ^ e0h[a]! ^ e1h[b]!) ^ (e0l[c]! ^ e1l[d]!);
      t1l = (ek[k + 3]! ^ e0l[a]! ^ e1l[b]!) ^ (e0h[c]! ^ e1h[d]!);
      a = s2h >> 8; b = s3h & 255; c = s0l >> 8; d = s1l & 255;
      t2h = (ek[k + 4]! ^ e0h[a]! ^ e1h[b]!) ^ (e0l[c]! ^ e1l[d]!);
      t2l = (ek[k + 5]! ^ e0l[a]! ^ e1l[b]!) ^ (e0h[c]! ^ e1h[d]!);
      a = s3h >> 8; b = s0h & 255; c = s1l >> 8; d = s2l & 255;
      s3h = (ek[k + 6]! ^ e0h[a]! ^ e1h[b]!) ^ (e0l[c]! ^ e1l[d]!);
      s3l = (ek[k + 7]! ^ e0l[a]! ^ e1l[b]!) ^ (e0h[c]! ^ e1h[d]!);
      s0h = t0h; s0l = t0l; s1h = t1h; s1l = t1l; s2h = t2h; s2l = t2l;
    }
    // Last round: SubBytes, ShiftRows, AddRoundKey.
    const sb = SBOX_;
    let kh = ek[k]!, kl = ek[k + 1]!;
    dst[dof] = sb[s0h >> 8]! ^ (kh >> 8); dst[dof + 1] = sb[s1h & 255]! ^ kh;
    dst[dof + 2] = sb[s2l >> 8]! ^ (kl >> 8); dst[dof + 3] = sb[s3l & 255]! ^ kl;
    kh = ek[k + 2]!; kl = ek[k + 3]!;
    dst[dof + 4] = sb[s1h >> 8]! ^ (kh >> 8); dst[dof + 5] = sb[s2h & 255]! ^ kh;
    dst[dof + 6] = sb[s3l >> 8]! ^ (kl >> 8); dst[dof + 7] = sb[s0l & 255]! ^ kl;
    kh = ek[k + 4]!; kl = ek[k + 5]!;
    dst[dof + 8] = sb[s2h >> 8]! ^ (kh >> 8); dst[dof + 9] = sb[s3h & 255]! ^ kh;
    dst[dof + 10] = sb[s0l >> 8]! ^ (kl >> 8); dst[dof + 11] = sb[s1l & 255]! ^ kl;
    kh = ek[k + 6]!; kl = ek[k + 7]!;
    dst[dof + 12] = sb[s3h >> 8]! ^ (kh >> 8); dst[dof + 13] = sb[s0h & 255]! ^ kh;
    dst[dof + 14] = sb[s1l >> 8]! ^ (kl >> 8); dst[dof + 15] = sb[s2l & 255]! ^ kl;
  };
}

function makeDecrypt(D0H: Uint16Array, D0L: Uint16Array, D1H: Uint16Array, D1L: Uint16Array, SBOX: Uint8Array): BlockFn {
  const D0H_ = D0H, D0L_ = D0L, D1H_ = D1H, D1L_ = D1L, SBOX_ = SBOX; // const: a JIT folds only immutable captured bindings
  return (dk, src, so, dst, dof) => {
    const d0h = D0H_, d0l = D0L_, d1h = D1H_, d1l = D1L_;
    let s0h = ((src[so]! << 8) | src[so + 1]!) ^ dk[0]!, s0l = ((src[so + 2]! << 8) | src[so + 3]!) ^ dk[1]!;
    let s1h = ((src[so + 4]! << 8) | src[so + 5]!) ^ dk[2]!, s1l = ((src[so + 6]! << 8) | src[so + 7]!) ^ dk[3]!;
    let s2h = ((src[so + 8]! << 8) | src[so + 9]!) ^ dk[4]!, s2l = ((src[so + 10]! << 8) | src[so + 11]!) ^ dk[5]!;
    let s3h = ((src[so + 12]! << 8) | src[so + 13]!) ^ dk[6]!, s3l = ((src[so + 14]! << 8) | src[so + 15]!) ^ dk[7]!;
    let a: number, b: number, c: number, d: number;
    let t0h: number, t0l: number, t1h: number, t1l: number, t2h: number, t2l: number;
    const last = dk.length - 8;
    let k = 8;
    for (; k < last; k += 8) {
      a = s0h >> 8; b = s3h & 255; c = s2l >> 8; d = s1l & 255;
      t0h = (dk[k]! ^ d0h[a]! ^ d1h[b]!) ^ (d0l[c]! ^ d1l[d]!);
      t0l = (dk[k + 1]! ^ d0l[a]! ^ d1l[b]!) ^ (d0h[c]! ^ d1h[d]!);
      a = s1h >> 8; b = s0h & 255; c = s3l >> 8; d = s2l & 255;
      t1h = (dk[k + 2]! ^ d0h[a]! ^ d1h[b]!) ^ (d0l[c]! ^ d1l[d]!);
      t1l = (dk[k + 3]! ^ d0l[a]! ^ d1l[b]!) ^ (d0h[c]! ^ d1h[d]!);
      a = s2h >> 8; b = s1h & 255; c = s0l >> 8; d = s3l & 255;
      t2h = (dk[k + 4]! ^ d0h[a]! ^ d1h[b]!) ^ (d0l[c]! ^ d1l[d]!);
      t2l = (dk[k + 5]! ^ d0l[a]! ^ d1l[b]!) ^ (d0h[c]! ^ d1h[d]!);
      a = s3h >> 8; b = s2h & 255; c = s1l >> 8; d = s0l & 255;
      s3h = (dk[k + 6]! ^ d0h[a]! ^ d1h[b]!) ^ (d0l[c]! ^ d1l[d]!);
      s3l = (dk[k + 7]! ^ d0l[a]! ^ d1l[b]!) ^ (d0h[c]! ^ d1h[d]!);
      s0h = t0h; s0l = t0l; s1h = t1h; s1l = t1l; s2h = t2h; s2l = t2l;
    }
    // Last round: InvShiftRows, InvSubBytes, AddRoundKey.
    const sb = SBOX_;
    let kh = dk[k]!, kl = dk[k + 1]!;
    dst[dof] = sb[s0h >> 8]! ^ (kh >> 8); dst[dof + 1] = sb[s3h & 255]! ^ kh;
    dst[dof + 2] = sb[s2l >> 8]! ^ (kl >> 8); dst[dof + 3] = sb[s1l & 255]! ^ kl;
    kh = dk[k + 2]!; kl = dk[k + 3]!;
    dst[dof + 4] = sb[s1h >> 8]! ^ (kh >> 8); dst[dof + 5] = sb[s0h & 255]! ^ kh;
    dst[dof + 6] = sb[s3l >> 8]! ^ (kl >> 8); dst[dof + 7] = sb[s2l & 255]! ^ kl;
    kh = dk[k + 4]!; kl = dk[k + 5]!;
    dst[dof + 8] = sb[s2h >> 8]! ^ (kh >> 8); dst[dof + 9] = sb[s1h & 255]! ^ kh;
    dst[dof + 10] = sb[s0l >> 8]! ^ (kl >> 8); dst[dof + 11] = sb[s3l & 255]! ^ kl;
    kh = dk[k + 6]!; kl = dk[k + 7]!;
    dst[dof + 12] = sb[s3h >> 8]! ^ (kh >> 8); dst[dof + 13] = sb[s2h & 255]! ^ kh;
    dst[dof + 14] = sb[s1l >> 8]! ^ (kl >> 8); dst[dof + 15] = sb[s0l & 255]! ^ kl;
  };
}

/** AES with a 16, 24 or 32-byte key (10, 12 or 14 rounds). Computes the key schedule (not cached: see createCipher). */
export function aesCipher(key: Uint8Array): BlockCipher {
  const n = key.length;
  if (n !== 16 && n !== 24 && n !== 32) throw new CoreError("E_KEY_LENGTH", `AES key must be 16, 24 or 32 bytes, got ${n}`);
  tables();
  const { ek, dk } = schedule(key, (n >> 2) + 6);
  return new ScheduledCipher(16, encrypt!, decrypt!, ek, dk);
}
