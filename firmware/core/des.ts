/**
 * DES and TDEA (2-key K1K2K1 and 3-key), FIPS 46-3 / NIST SP 800-67.
 *
 * Built for an interpreter without a JIT whose small integers stop at ±2^27 (JerryScript): every value
 * in the hot loop is a 16-bit half of a 32-bit DES word, so no XOR, OR or shift ever leaves the
 * engine's immediate integers (a 32-bit chain would allocate a heap double on each step).
 *
 * Layout: after the initial permutation both halves are held rotated left by one bit, so that the
 * S2/S4/S6/S8 inputs of the expansion E are byte-aligned 6-bit fields of r and S3/S7 are fields of r
 * at bit 4; only S1 and S5 straddle the two 16-bit halves. Each round key is stored as four 16-bit
 * words laid over those bit places (the expansion duplicates bits, so two XORed copies of r carry the
 * key), and the combined S-box + P permutation (SP) tables give f directly in the rotated layout,
 * split in 16-bit high/low halves (8 tables of 128 entries, high at 2x and low at 2x+1, 2 KB, built once
 * on first use; 8 table objects rather than 16 leave a JIT registers for the rest). The OR of
 * the eight lookups is written as a balanced tree: on a JIT the round is latency-bound.
 */
import { type BlockCipher, ScheduledCipher, type BlockFn } from "./cipher";
import { CoreError } from "./errors";

/** The eight S-boxes of FIPS 46-3, row-major (row = b1b6, column = b2b3b4b5), one hex digit each. */
const SBOXES =
  "e4d12fb83a6c5907" + "0f74e2d1a6cb9538" + "41e8d62bfc973a50" + "fc8249175b3ea06d" + // S1
  "f18e6b34972dc05a" + "3d47f28ec01a69b5" + "0e7ba4d158c6932f" + "d8a13f42b67c05e9" + // S2
  "a09e63f51dc7b428" + "d709346a285ecbf1" + "d6498f30b12c5ae7" + "1ad069874fe3b52c" + // S3
  "7de3069a1285bc4f" + "d8b56f03472c1ae9" + "a690cb7df13e5284" + "3f06a1d8945bc72e" + // S4
  "2c417ab6853fd0e9" + "eb2c47d150fa3986" + "421bad78f9c5630e" + "b8c71e2d6f09a453" + // S5
  "c1af92680d34e75b" + "af427c9561de0b38" + "9ef528c3704a1db6" + "432c95fabe17608d" + // S6
  "4b2ef08d3c975a61" + "d0b7491ae35c2f86" + "14bdc37eaf680592" + "6bd814a7950fe23c" + // S7
  "d2846fb1a93e50c7" + "1fd8a374c56b0e92" + "7b419ce206adf358" + "21e74a8dfc90356b"; // S8

/** P: output bit i (1-based, MSB first) of f is bit P[i-1] of the S-box outputs. */
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
/** Permuted choice 1: C0 = key bits PC1[0..27], D0 = PC1[28..55]. */
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
/** Permuted choice 2: round key bit i is bit PC2[i-1] of C||D. */
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];


/** The block function, made once with the SP tables (see spTables()). */
let crypt: BlockFn | undefined;

/**
 * Builds the SP tables once (SP_b[2x] is the high half, SP_b[2x+1] the low half, of P(S_b(x) in its
 * nibble) rotated left by one, for each 6-bit S-box input x), and the block function as a closure over
 * them: a JIT treats the captured constants as fixed (no table pointers to keep in registers), an
 * interpreter reads them into locals once a block.
 */
function spTables(): void {
  if (crypt) return;
  const buf = new Uint16Array(8 * 128);
  const t: Uint16Array[] = [];
  for (let i = 0; i < 8; i++) t.push(buf.subarray(i * 128, i * 128 + 128));
  for (let b = 0; b < 8; b++) {
    for (let x = 0; x < 64; x++) {
      const row = ((x >> 4) & 2) | (x & 1);
      const s = parseInt(SBOXES[b * 64 + row * 16 + ((x >> 1) & 15)]!, 16);
      let hi = 0;
      let lo = 0;
      for (let j = 1; j <= 32; j++) {
        const src = P[j - 1]! - 1; // 0-based bit of the S-box outputs, MSB first
        if (src >> 2 !== b || ((s >> (3 - (src & 3))) & 1) === 0) continue;
        const pos = (33 - j) & 31; // bit j (MSB first) sits at 32-j; rotated left by one
        if (pos >= 16) hi |= 1 << (pos - 16);
        else lo |= 1 << pos;
      }
      t[b]![2 * x] = hi;
      t[b]![2 * x + 1] = lo;
    }
  }
  crypt = makeCrypt(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!);
}

/**
 * For each round (16) and round-key bit (48): the key bit (0 = MSB of key byte 0) it comes from, i.e.
 * PC1, the cumulative rotations of C and D, and PC2 composed once (768 bytes, built on first use).
 */
let KEYBIT: Uint8Array | undefined;

function keyBitTable(): Uint8Array {
  if (KEYBIT) return KEYBIT;
  const t = new Uint8Array(16 * 48);
  let shift = 0;
  for (let round = 0; round < 16; round++) {
    shift += SHIFTS[round]!;
    for (let i = 0; i < 48; i++) {
      const p = PC2[i]! - 1; // bit of C||D after this round's rotations
      const cd = p < 28 ? (p + shift) % 28 : 28 + ((p - 28 + shift) % 28);
      t[round * 48 + i] = PC1[cd]! - 1;
    }
  }
  KEYBIT = t;
  return t;
}

/** Scratch for the key schedule: the 64 key bits, one per byte. */
const KEYBITS = new Uint8Array(64);

/**
 * The 16 round keys of one DES key (8 bytes at key[off..]) in the rotated layout, four 16-bit words a
 * round, written at ks[at..at+64) in encryption order.
 */
function schedule(key: Uint8Array, off: number, ks: Uint16Array, at: number): void {
  const bits = KEYBITS;
  for (let i = 0; i < 64; i++) bits[i] = (key[off + (i >> 3)]! >> (7 - (i & 7))) & 1;
  const kb = keyBitTable();
  for (let round = 0, o = at, j = 0; round < 16; round++, o += 4) {
    // The eight 6-bit groups of this round's key, S1 first, MSB first.
    let g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0, g8 = 0;
    for (let e = j + 6; j < e; j++) g1 = (g1 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g2 = (g2 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g3 = (g3 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g4 = (g4 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g5 = (g5 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g6 = (g6 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g7 = (g7 << 1) | bits[kb[j]!]!;
    for (let e = j + 6; j < e; j++) g8 = (g8 << 1) | bits[kb[j]!]!;
    // S1, S3, S5, S7 groups at the bits of r they are XORed with (S1 and S5 straddle the halves).
    ks[o] = ((g1 & 15) << 12) | (g3 << 4) | (g5 >> 4);
    ks[o + 1] = ((g5 & 15) << 12) | (g7 << 4) | (g1 >> 4);
    // S2, S4, S6, S8 groups: byte-aligned in r.
    ks[o + 2] = (g2 << 8) | g4;
    ks[o + 3] = (g6 << 8) | g8;
  }
}

/** Copies the 16 rounds at src[from..from+64) to dst[to..to+64) in reverse round order (decryption). */
function reversed(src: Uint16Array, from: number, dst: Uint16Array, to: number): void {
  for (let r = 0; r < 16; r++) {
    const s = from + 4 * r;
    const d = to + 4 * (15 - r);
    dst[d] = src[s]!;
    dst[d + 1] = src[s + 1]!;
    dst[d + 2] = src[s + 2]!;
    dst[d + 3] = src[s + 3]!;
  }
}

/**
 * One block through 1 (DES) or 3 (TDEA) stages of 16 rounds with the round keys ks (64 words per
 * stage, already in the order each stage needs). The inner IP/FP pairs of TDEA cancel out, so only
 * the outer ones run.
 */
function makeCrypt(...sp: Uint16Array[]): BlockFn {
  const S1 = sp[0]!, S2 = sp[1]!, S3 = sp[2]!, S4 = sp[3]!, S5 = sp[4]!, S6 = sp[5]!, S7 = sp[6]!, S8 = sp[7]!;
  return (ks, src, so, dst, dof) => {
    const s1 = S1, s2 = S2, s3 = S3, s4 = S4, s5 = S5, s6 = S6, s7 = S7, s8 = S8;
    let lh = (src[so]! << 8) | src[so + 1]!;
    let ll = (src[so + 2]! << 8) | src[so + 3]!;
    let rh = (src[so + 4]! << 8) | src[so + 5]!;
    let rl = (src[so + 6]! << 8) | src[so + 7]!;
    let t: number, u: number, v: number, w: number;

    // Initial permutation as five bit-group swaps, each on 16-bit halves (no mask crosses a half).
    t = ((lh >> 4) ^ rh) & 0x0f0f; rh ^= t; lh ^= t << 4;
    t = ((ll >> 4) ^ rl) & 0x0f0f; rl ^= t; ll ^= t << 4;
    t = lh; lh = rl; rl = t; // swap of l's high half with r's low half
    t = ((rh >> 2) ^ lh) & 0x3333; lh ^= t; rh ^= t << 2;
    t = ((rl >> 2) ^ ll) & 0x3333; ll ^= t; rl ^= t << 2;
    t = ((rh >> 8) ^ lh) & 0x00ff; lh ^= t; rh ^= t << 8;
    t = ((rl >> 8) ^ ll) & 0x00ff; ll ^= t; rl ^= t << 8;
    t = ((lh >> 1) ^ rh) & 0x5555; rh ^= t; lh ^= t << 1;
    t = ((ll >> 1) ^ rl) & 0x5555; rl ^= t; ll ^= t << 1;
    // Both halves rotated left by one.
    t = lh; lh = ((lh << 1) & 0xffff) | (ll >> 15); ll = ((ll << 1) & 0xffff) | (t >> 15);
    t = rh; rh = ((rh << 1) & 0xffff) | (rl >> 15); rl = ((rl << 1) & 0xffff) | (t >> 15);

    const n = ks.length;
    let k = 0;
    for (;;) {
      for (const end = k + 64; k < end; k += 8) {
        // l ^= f(r, K[i]): E and the key XOR as two XORed copies of r, the S-box inputs (doubled, as
        // table offsets) picked from them; the eight lookups land on disjoint bits, OR-ed as a balanced
        // tree (on a JIT the round is latency-bound).
        t = rh ^ ks[k]!; u = rl ^ ks[k + 1]!; v = rh ^ ks[k + 2]!; w = rl ^ ks[k + 3]!;
        let i1 = ((t >> 11) & 30) | ((u & 3) << 5), i3 = (t >> 3) & 126, i5 = ((u >> 11) & 30) | ((t & 3) << 5), i7 = (u >> 3) & 126;
        let i2 = (v >> 7) & 126, i4 = (v << 1) & 126, i6 = (w >> 7) & 126, i8 = (w << 1) & 126;
        lh ^= ((s1[i1]! | s2[i2]!) | (s3[i3]! | s4[i4]!)) | ((s5[i5]! | s6[i6]!) | (s7[i7]! | s8[i8]!));
        ll ^= ((s1[i1 + 1]! | s2[i2 + 1]!) | (s3[i3 + 1]! | s4[i4 + 1]!)) | ((s5[i5 + 1]! | s6[i6 + 1]!) | (s7[i7 + 1]! | s8[i8 + 1]!));
        // r ^= f(l, K[i+1])
        t = lh ^ ks[k + 4]!; u = ll ^ ks[k + 5]!; v = lh ^ ks[k + 6]!; w = ll ^ ks[k + 7]!;
        i1 = ((t >> 11) & 30) | ((u & 3) << 5); i3 = (t >> 3) & 126; i5 = ((u >> 11) & 30) | ((t & 3) << 5); i7 = (u >> 3) & 126;
        i2 = (v >> 7) & 126; i4 = (v << 1) & 126; i6 = (w >> 7) & 126; i8 = (w << 1) & 126;
        rh ^= ((s1[i1]! | s2[i2]!) | (s3[i3]! | s4[i4]!)) | ((s5[i5]! | s6[i6]!) | (s7[i7]! | s8[i8]!));
        rl ^= ((s1[i1 + 1]! | s2[i2 + 1]!) | (s3[i3 + 1]! | s4[i4 + 1]!)) | ((s5[i5 + 1]! | s6[i6 + 1]!) | (s7[i7 + 1]! | s8[i8 + 1]!));
      }
      if (k >= n) break;
      // Between TDEA stages: the output swap of one stage and the next stage's input.
      t = lh; lh = rh; rh = t;
      t = ll; ll = rl; rl = t;
    }

    // Pre-output is R16 L16: undo the rotation and the initial permutation on (r, l).
    t = rh; rh = (rh >> 1) | ((rl & 1) << 15); rl = (rl >> 1) | ((t & 1) << 15);
    t = lh; lh = (lh >> 1) | ((ll & 1) << 15); ll = (ll >> 1) | ((t & 1) << 15);
    t = ((rh >> 1) ^ lh) & 0x5555; lh ^= t; rh ^= t << 1;
    t = ((rl >> 1) ^ ll) & 0x5555; ll ^= t; rl ^= t << 1;
    t = ((lh >> 8) ^ rh) & 0x00ff; rh ^= t; lh ^= t << 8;
    t = ((ll >> 8) ^ rl) & 0x00ff; rl ^= t; ll ^= t << 8;
    t = ((lh >> 2) ^ rh) & 0x3333; rh ^= t; lh ^= t << 2;
    t = ((ll >> 2) ^ rl) & 0x3333; rl ^= t; ll ^= t << 2;
    t = rh; rh = ll; ll = t;
    t = ((rh >> 4) ^ lh) & 0x0f0f; lh ^= t; rh ^= t << 4;
    t = ((rl >> 4) ^ ll) & 0x0f0f; ll ^= t; rl ^= t << 4;

    dst[dof] = rh >> 8; dst[dof + 1] = rh;
    dst[dof + 2] = rl >> 8; dst[dof + 3] = rl;
    dst[dof + 4] = lh >> 8; dst[dof + 5] = lh;
    dst[dof + 6] = ll >> 8; dst[dof + 7] = ll;
  };
}

/** Single DES with an 8-byte key (parity bits ignored). Computes the key schedule (not cached: see createCipher). */
export function desCipher(key: Uint8Array): BlockCipher {
  if (key.length !== 8) throw new CoreError("E_KEY_LENGTH", `DES key must be 8 bytes, got ${key.length}`);
  spTables();
  const ek = new Uint16Array(64);
  const dk = new Uint16Array(64);
  schedule(key, 0, ek, 0);
  reversed(ek, 0, dk, 0);
  return new ScheduledCipher(8, crypt!, crypt!, ek, dk);
}

/**
 * TDEA with a 16-byte (K1 K2, keying option 2: K3 = K1) or 24-byte (K1 K2 K3) key:
 * encrypt = E_K3(D_K2(E_K1(x))), decrypt = D_K1(E_K2(D_K3(x))).
 */
export function tdesCipher(key: Uint8Array): BlockCipher {
  if (key.length !== 16 && key.length !== 24) throw new CoreError("E_KEY_LENGTH", `3DES key must be 16 or 24 bytes, got ${key.length}`);
  spTables();
  // ek = [K1 forward, K2 reversed, K3 forward]; dk = [K3 reversed, K2 forward, K1 reversed].
  const ek = new Uint16Array(192);
  const dk = new Uint16Array(192);
  schedule(key, 0, ek, 0);
  schedule(key, 8, dk, 64);
  if (key.length === 24) schedule(key, 16, ek, 128);
  else for (let i = 0; i < 64; i++) ek[128 + i] = ek[i]!;
  reversed(dk, 64, ek, 64);
  reversed(ek, 128, dk, 0);
  reversed(ek, 0, dk, 128);
  return new ScheduledCipher(8, crypt!, crypt!, ek, dk);
}
