/**
 * SM4 (GB/T 32907-2016), 128-bit block and key, 32 rounds.
 *
 * Table driven, with every hot-loop value a 16-bit half of a 32-bit word so that nothing leaves the
 * small integers of an interpreter whose immediates stop at ±2^27 (JerryScript). The round function
 * T = L∘τ is linear over the four S-box outputs, so T(x) = T0[a] ^ T1[b] ^ T2[c] ^ T3[d] (a..d the
 * bytes of x, MSB first) with T1, T2, T3 the rotations of T0 right by 8, 16, 24 bits. A rotation by 16
 * only swaps the halves, so T2 and T3 are T0 and T1 with high and low exchanged: four 256-entry 16-bit
 * tables (2 KB, built once on first use) and eight lookups a round.
 */
import { type BlockCipher, ScheduledCipher, type BlockFn } from "./cipher";
import { CoreError } from "./errors";

const SBOX_HEX =
  "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa441326498606999c4250f491ef987a33540b43edcfac62" +
  "e4b31ca9c908e89580df94fa758f3fa64707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d35" +
  "1e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89eeabf8ad240c738b5a3f7f2cef96115a1" +
  "e0ae5da49b341a55ad933230f58cb1e31df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b51" +
  "8d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b08969974a0c96777e65b9f109c56ec684" +
  "18f07dec3adc4d2079ee5f3ed7cb3948";
/** FK as high/low 16-bit halves. */
const FK = [0xa3b1, 0xbac6, 0x56aa, 0x3350, 0x677d, 0x9197, 0xb270, 0x22dc];


let SBOX: Uint8Array | undefined;
/** The block function, made once with the tables (see tables()). */
let crypt: BlockFn | undefined;

// Rotations of a 32-bit word held as 16-bit halves (h, l), kept within 16 bits at every step so that
// even the one-time table and key-schedule work stays in the engine's small integers.
function rotHi(h: number, l: number, n: number): number {
  if (n >= 16) return rotHi(l, h, n - 16);
  return n ? ((h & (0xffff >> n)) << n) | (l >> (16 - n)) : h;
}
function rotLo(h: number, l: number, n: number): number {
  return rotHi(l, h, n);
}

/**
 * Builds the S-box and the T tables once, and the block function as a closure over them: a JIT
 * treats the captured constants as fixed (no table pointers to keep in registers or bounds to
 * reload), an interpreter reads them into locals once a block.
 */
function tables(): void {
  if (crypt) return;
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = parseInt(SBOX_HEX.substr(i * 2, 2), 16);
  const buf = new Uint16Array(1024);
  const t0h = buf.subarray(0, 256), t0l = buf.subarray(256, 512), t1h = buf.subarray(512, 768), t1l = buf.subarray(768, 1024);
  for (let i = 0; i < 256; i++) {
    // T0[i] = L(S(i) << 24), L(B) = B ^ B<<<2 ^ B<<<10 ^ B<<<18 ^ B<<<24; T1 = T0 rotated right by 8.
    const bh = s[i]! << 8;
    const h = bh ^ rotHi(bh, 0, 2) ^ rotHi(bh, 0, 10) ^ rotHi(bh, 0, 18) ^ rotHi(bh, 0, 24);
    const l = rotLo(bh, 0, 2) ^ rotLo(bh, 0, 10) ^ rotLo(bh, 0, 18) ^ rotLo(bh, 0, 24);
    t0h[i] = h;
    t0l[i] = l;
    t1h[i] = rotHi(h, l, 24);
    t1l[i] = rotLo(h, l, 24);
  }
  SBOX = s;
  crypt = makeCrypt(t0h, t0l, t1h, t1l);
}

/** Scratch for the key schedule: K_i..K_i+3 as halves. */
const KS = new Uint16Array(8);

/** The 32 round keys as high/low 16-bit pairs, in encryption order and reversed for decryption. */
function schedule(key: Uint8Array, ek: Uint16Array, dk: Uint16Array): void {
  const s = SBOX!;
  const k = KS;
  for (let i = 0; i < 8; i++) k[i] = ((key[2 * i]! << 8) | key[2 * i + 1]!) ^ FK[i]!;
  for (let i = 0; i < 32; i++) {
    // CK_i: bytes (4i + j) * 7 mod 256.
    const c = 28 * i;
    const xh = k[2]! ^ k[4]! ^ k[6]! ^ (((c & 255) << 8) | ((c + 7) & 255));
    const xl = k[3]! ^ k[5]! ^ k[7]! ^ ((((c + 14) & 255) << 8) | ((c + 21) & 255));
    const bh = (s[xh >> 8]! << 8) | s[xh & 255]!;
    const bl = (s[xl >> 8]! << 8) | s[xl & 255]!;
    // rk = K0 ^ L'(b), L'(B) = B ^ B<<<13 ^ B<<<23
    const rh = k[0]! ^ bh ^ rotHi(bh, bl, 13) ^ rotHi(bh, bl, 23);
    const rl = k[1]! ^ bl ^ rotLo(bh, bl, 13) ^ rotLo(bh, bl, 23);
    ek[2 * i] = rh;
    ek[2 * i + 1] = rl;
    dk[62 - 2 * i] = rh;
    dk[63 - 2 * i] = rl;
    for (let j = 0; j < 6; j++) k[j] = k[j + 2]!;
    k[6] = rh;
    k[7] = rl;
  }
}

/** One block, 32 rounds with the round keys rk (high/low pairs in the order wanted), src -> dst. */
function makeCrypt(T0H: Uint16Array, T0L: Uint16Array, T1H: Uint16Array, T1L: Uint16Array): BlockFn {
  const T0h = T0H, T0l = T0L, T1h = T1H, T1l = T1L; // const: a JIT folds only immutable captured bindings
  return (rk, src, so, dst, dof) => {
    const t0h = T0h, t0l = T0l, t1h = T1h, t1l = T1l;
    let x0h = (src[so]! << 8) | src[so + 1]!, x0l = (src[so + 2]! << 8) | src[so + 3]!;
    let x1h = (src[so + 4]! << 8) | src[so + 5]!, x1l = (src[so + 6]! << 8) | src[so + 7]!;
    let x2h = (src[so + 8]! << 8) | src[so + 9]!, x2l = (src[so + 10]! << 8) | src[so + 11]!;
    let x3h = (src[so + 12]! << 8) | src[so + 13]!, x3l = (src[so + 14]! << 8) | src[so + 15]!;
    let h: number, l: number, a: number, b: number, c: number, d: number;
    // Each XOR is grouped so the word the previous round just produced comes in last and the four
    // lookups meet in a shallow tree: on a JIT the 32 dependent rounds are latency-bound.
    for (let k = 0; k < 64; k += 8) {
      h = (x1h ^ rk[k]! ^ x2h) ^ x3h;
      l = (x1l ^ rk[k + 1]! ^ x2l) ^ x3l;
      a = h >> 8; b = h & 255; c = l >> 8; d = l & 255;
      x0h = (x0h ^ t0h[a]! ^ t1h[b]!) ^ (t0l[c]! ^ t1l[d]!);
      x0l = (x0l ^ t0l[a]! ^ t1l[b]!) ^ (t0h[c]! ^ t1h[d]!);

      h = (x2h ^ rk[k + 2]! ^ x3h) ^ x0h;
      l = (x2l ^ rk[k + 3]! ^ x3l) ^ x0l;
      a = h >> 8; b = h & 255; c = l >> 8; d = l & 255;
      x1h = (x1h ^ t0h[a]! ^ t1h[b]!) ^ (t0l[c]! ^ t1l[d]!);
      x1l = (x1l ^ t0l[a]! ^ t1l[b]!) ^ (t0h[c]! ^ t1h[d]!);

      h = (x3h ^ rk[k + 4]! ^ x0h) ^ x1h;
      l = (x3l ^ rk[k + 5]! ^ x0l) ^ x1l;
      a = h >> 8; b = h & 255; c = l >> 8; d = l & 255;
      x2h = (x2h ^ t0h[a]! ^ t1h[b]!) ^ (t0l[c]! ^ t1l[d]!);
      x2l = (x2l ^ t0l[a]! ^ t1l[b]!) ^ (t0h[c]! ^ t1h[d]!);

      h = (x0h ^ rk[k + 6]! ^ x1h) ^ x2h;
      l = (x0l ^ rk[k + 7]! ^ x1l) ^ x2l;
      a = h >> 8; b = h & 255; c = l >> 8; d = l & 255;
      x3h = (x3h ^ t0h[a]! ^ t1h[b]!) ^ (t0l[c]! ^ t1l[d]!);
      x3l = (x3l ^ t0l[a]! ^ t1l[b]!) ^ (t0h[c]! ^ t1h[d]!);
    }
    // Output (X35, X34, X33, X32).
    dst[dof] = x3h >> 8; dst[dof + 1] = x3h; dst[dof + 2] = x3l >> 8; dst[dof + 3] = x3l;
    dst[dof + 4] = x2h >> 8; dst[dof + 5] = x2h; dst[dof + 6] = x2l >> 8; dst[dof + 7] = x2l;
    dst[dof + 8] = x1h >> 8; dst[dof + 9] = x1h; dst[dof + 10] = x1l >> 8; dst[dof + 11] = x1l;
    dst[dof + 12] = x0h >> 8; dst[dof + 13] = x0h; dst[dof + 14] = x0l >> 8; dst[dof + 15] = x0l;
  };
}

/** SM4 with a 16-byte key. Computes the key schedule (not cached: see createCipher). */
export function sm4Cipher(key: Uint8Array): BlockCipher {
  if (key.length !== 16) throw new CoreError("E_KEY_LENGTH", `SM4 key must be 16 bytes, got ${key.length}`);
  tables();
  const ek = new Uint16Array(64);
  const dk = new Uint16Array(64);
  schedule(key, ek, dk);
  return new ScheduledCipher(16, crypt!, crypt!, ek, dk);
}
