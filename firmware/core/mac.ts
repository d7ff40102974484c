/**
 * Message authentication codes of the payment world, over any BlockCipher of the core:
 * - CUP "ECB" MAC (spec/cup-8583.md §7.4) with DES, its 3DES form, and the SM4 form (§7.6);
 * - ISO 9797-1 MAC algorithm 1 (CBC-MAC; ANSI X9.9 is algorithm 1 with single DES) and algorithm 3
 *   (the retail MAC; ANSI X9.19 is algorithm 3 with DES and padding method 1), padding methods 1, 2, 3;
 * - CMAC (NIST SP 800-38B; AES-CMAC = RFC 4493), for 8- and 16-byte block ciphers.
 *
 * The block loops work in place on module scratch buffers (the engine is single-threaded and these
 * functions never yield): no allocation per block, one result array per call.
 * Errors: E_KEY_LENGTH, E_MAC_ALG, E_MAC_PAD, E_MAC_LENGTH, E_MAC_MISMATCH.
 */
import type { BlockCipher, CipherAlgorithm } from "./cipher";
import { CoreError } from "./errors";
import { createCipher } from "./modes";
import { constantTimeEqual } from "./bytes";

export type MacAlgorithm = "cup-ecb" | "cup-ecb-3des" | "x9.9" | "x9.19" | "iso9797-1-alg1" | "iso9797-1-alg3" | "sm4-ecb" | "aes-cmac";
/** ISO 9797-1 padding methods: 1 = zeros (none when already aligned), 2 = 0x80 then zeros, 3 = length block + zeros. */
export type MacPadding = 1 | 2 | 3;

export interface MacOptions {
  /** ISO 9797-1 padding method for x9.9 / x9.19 / iso9797-1-alg1 / iso9797-1-alg3 (default 1). */
  pad?: MacPadding;
  /** Bytes of MAC to return (4..block size; default the whole block). Not for the CUP algorithms (always 8 ASCII bytes). */
  length?: number;
  /** Block cipher for iso9797-1-alg1 (default: "des" for an 8-byte key, "3des" for 16/24 bytes). */
  cipher?: CipherAlgorithm;
}

const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70]; // "0".."9", "A".."F"

// Scratch (the largest block is 16 bytes; the CUP SM4 form needs 32 hex characters).
const S_STATE = new Uint8Array(16);
const S_HEX = new Uint8Array(32);
const S_K1 = new Uint8Array(16);
const S_K2 = new Uint8Array(16);

function keyLengthFor(alg: CipherAlgorithm, key: Uint8Array): void {
  const n = key.length;
  const ok = alg === "des" ? n === 8 : alg === "3des" ? n === 16 || n === 24 : alg === "sm4" ? n === 16 : n === 16 || n === 24 || n === 32;
  if (!ok) throw new CoreError("E_KEY_LENGTH", `${alg} key of ${n} bytes`);
}

function cipherFor(alg: CipherAlgorithm, key: Uint8Array): BlockCipher {
  keyLengthFor(alg, key);
  return createCipher(alg, key);
}

/** Upper-case hex of src[0..n) as ASCII bytes into dst[0..2n). */
function hexAscii(src: Uint8Array, n: number, dst: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    dst[2 * i] = HEX[v >> 4]!;
    dst[2 * i + 1] = HEX[v & 15]!;
  }
}

/**
 * The CUP "ECB" MAC (§7.4 / §7.6) under a ready cipher (DES, 3DES or SM4): zero-pad to the block, XOR all
 * blocks, expand to upper-case hex, E(first half) XOR second half, E again, expand: the first 8 hex
 * characters as ASCII bytes. Returns 8 bytes (into `out` at `outOff` when given).
 */
export function cupEcbMac(c: BlockCipher, data: Uint8Array, out?: Uint8Array, outOff = 0): Uint8Array {
  const bs = c.blockSize;
  const st = S_STATE;
  const hx = S_HEX;
  for (let i = 0; i < bs; i++) st[i] = 0;
  const n = data.length;
  const full = n - (n % bs);
  let off = 0;
  for (; off < full; off += bs) for (let i = 0; i < bs; i++) st[i] ^= data[off + i]!;
  for (let i = 0; off + i < n; i++) st[i] ^= data[off + i]!;
  hexAscii(st, bs, hx); // RESULT as 2*bs ASCII hex characters
  c.encryptBlock(hx, 0, st, 0); // E(first bs characters)
  for (let i = 0; i < bs; i++) st[i] ^= hx[bs + i]!; // XOR the last bs characters
  c.encryptBlock(st, 0, st, 0);
  const dst = out || new Uint8Array(8);
  if (dst.length < outOff + 8) throw new CoreError("E_MAC_LENGTH", `no room for 8 MAC bytes at ${outOff}`);
  for (let i = 0; i < 4; i++) {
    const v = st[i]!;
    dst[outOff + 2 * i] = HEX[v >> 4]!;
    dst[outOff + 2 * i + 1] = HEX[v & 15]!;
  }
  return dst;
}

/** Bytes of `n` data bytes after ISO 9797-1 padding `pad` to `bs`-byte blocks. */
export function paddedLength(n: number, pad: MacPadding, bs: number): number {
  if (pad === 2) return n - (n % bs) + bs;
  const body = n === 0 ? (pad === 1 ? bs : 0) : n + ((bs - (n % bs)) % bs);
  return pad === 3 ? bs + body : body;
}

/**
 * ISO 9797-1 padding of `data` to `bs`-byte blocks, as a new array (for tests and the desk tool; the MAC
 * functions pad on the fly). Method 1 adds nothing when `data` is already a non-empty multiple of `bs`
 * (empty data becomes one zero block); method 3 prefixes a block holding the data length in bits.
 */
export function padIso9797(data: Uint8Array, pad: MacPadding, bs: 8 | 16 = 8): Uint8Array {
  checkPad(pad);
  const out = new Uint8Array(paddedLength(data.length, pad, bs));
  let off = 0;
  if (pad === 3) {
    writeBitLength(data.length, out, bs);
    off = bs;
  }
  out.set(data, off);
  if (pad === 2) out[off + data.length] = 0x80;
  return out;
}

/** The data length in bits, big-endian, right-justified in dst[0..bs) (zeros before it). */
function writeBitLength(n: number, dst: Uint8Array, bs: number): void {
  for (let i = 0; i < bs; i++) dst[i] = 0;
  // n bytes -> 8n bits; written from the right without 32-bit overflow.
  let v = n;
  dst[bs - 1] = (v & 31) << 3;
  v = Math.floor(v / 32);
  for (let i = bs - 2; i >= 0 && v > 0; i--) {
    dst[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

function checkPad(pad: number): void {
  if (pad !== 1 && pad !== 2 && pad !== 3) throw new CoreError("E_MAC_PAD", `ISO 9797-1 padding method ${pad} (1, 2 or 3)`);
}

/** CBC over the padded data (IV zero) under `c`; leaves the last chaining block in `st`. */
function cbcChain(c: BlockCipher, data: Uint8Array, pad: MacPadding, st: Uint8Array): void {
  checkPad(pad);
  const bs = c.blockSize;
  const n = data.length;
  for (let i = 0; i < bs; i++) st[i] = 0;
  if (pad === 3) {
    writeBitLength(n, st, bs);
    c.encryptBlock(st, 0, st, 0);
  }
  const tail = n % bs;
  const full = n - tail;
  for (let off = 0; off < full; off += bs) {
    for (let i = 0; i < bs; i++) st[i] ^= data[off + i]!;
    c.encryptBlock(st, 0, st, 0);
  }
  // The last, padded block: always for method 2, for a partial tail, and for empty data under method 1.
  if (pad === 2 || tail > 0 || (n === 0 && pad === 1)) {
    for (let i = 0; i < tail; i++) st[i] ^= data[full + i]!;
    if (pad === 2) st[tail] ^= 0x80;
    c.encryptBlock(st, 0, st, 0);
  }
}

function macLength(length: number | undefined, bs: number): number {
  const m = length === undefined ? bs : length;
  if (!(m >= 4 && m <= bs) || m !== Math.floor(m)) throw new CoreError("E_MAC_LENGTH", `MAC length ${String(length)} (4..${bs})`);
  return m;
}

function take(st: Uint8Array, m: number): Uint8Array {
  const out = new Uint8Array(m);
  for (let i = 0; i < m; i++) out[i] = st[i]!;
  return out;
}

/** ISO 9797-1 MAC algorithm 1 (CBC-MAC, IV zero) under a ready cipher; first `length` bytes (default the block). */
export function cbcMac(c: BlockCipher, data: Uint8Array, pad: MacPadding = 1, length?: number): Uint8Array {
  const m = macLength(length, c.blockSize);
  cbcChain(c, data, pad, S_STATE);
  return take(S_STATE, m);
}

/**
 * ISO 9797-1 MAC algorithm 3 (retail MAC): CBC under `k`, then the last block is decrypted under `k2`
 * and encrypted again under `k`. With DES and pad 1 this is ANSI X9.19.
 */
export function retailMac(k: BlockCipher, k2: BlockCipher, data: Uint8Array, pad: MacPadding = 1, length?: number): Uint8Array {
  if (k.blockSize !== k2.blockSize) throw new CoreError("E_MAC_ALG", "retail MAC halves with different block sizes");
  const m = macLength(length, k.blockSize);
  const st = S_STATE;
  cbcChain(k, data, pad, st);
  k2.decryptBlock(st, 0, st, 0);
  k.encryptBlock(st, 0, st, 0);
  return take(st, m);
}

/** GF(2^b) doubling of src[0..bs) into dst (CMAC subkeys): shift left one bit, XOR Rb when the top bit fell out. */
function dbl(src: Uint8Array, dst: Uint8Array, bs: number): void {
  const carry = src[0]! >> 7;
  for (let i = 0; i < bs - 1; i++) dst[i] = ((src[i]! << 1) | (src[i + 1]! >> 7)) & 0xff;
  dst[bs - 1] = ((src[bs - 1]! << 1) & 0xff) ^ (carry ? (bs === 16 ? 0x87 : 0x1b) : 0);
}

/** CMAC (SP 800-38B) under a ready cipher (AES, SM4, 3DES, DES); first `length` bytes (default the block). */
export function cmac(c: BlockCipher, data: Uint8Array, length?: number): Uint8Array {
  const bs = c.blockSize;
  const m = macLength(length, bs);
  const st = S_STATE;
  const k1 = S_K1;
  const k2 = S_K2;
  for (let i = 0; i < bs; i++) st[i] = 0;
  c.encryptBlock(st, 0, st, 0); // L = E(0)
  dbl(st, k1, bs);
  dbl(k1, k2, bs);
  const n = data.length;
  const complete = n > 0 && n % bs === 0;
  const lastOff = complete ? n - bs : n - (n % bs);
  for (let i = 0; i < bs; i++) st[i] = 0;
  for (let off = 0; off < lastOff; off += bs) {
    for (let i = 0; i < bs; i++) st[i] ^= data[off + i]!;
    c.encryptBlock(st, 0, st, 0);
  }
  if (complete) for (let i = 0; i < bs; i++) st[i] ^= data[lastOff + i]! ^ k1[i]!;
  else {
    const tail = n - lastOff;
    for (let i = 0; i < tail; i++) st[i] ^= data[lastOff + i]!;
    st[tail] ^= 0x80;
    for (let i = 0; i < bs; i++) st[i] ^= k2[i]!;
  }
  c.encryptBlock(st, 0, st, 0);
  return take(st, m);
}

/**
 * One entry for every MAC (the desk tool's `mac` command and the PED simulator):
 * - "cup-ecb": 8-byte DES MAK; "cup-ecb-3des": 16/24-byte MAK; "sm4-ecb": 16-byte SM4 MAK — 8 ASCII hex bytes;
 * - "x9.9": 8-byte DES key, CBC-MAC (pad default 1); "x9.19": 16-byte key, retail MAC with DES halves;
 * - "iso9797-1-alg1": CBC-MAC under DES (8-byte key) or 3DES (16/24), or opts.cipher;
 * - "iso9797-1-alg3": 16-byte key (K ‖ K'), DES halves; "aes-cmac": 16/24/32-byte AES key.
 */
export function computeMac(alg: MacAlgorithm, key: Uint8Array, data: Uint8Array, opts: MacOptions = {}): Uint8Array {
  const pad = opts.pad === undefined ? 1 : opts.pad;
  switch (alg) {
    case "cup-ecb":
    case "cup-ecb-3des":
    case "sm4-ecb":
      if (opts.length !== undefined && opts.length !== 8) throw new CoreError("E_MAC_LENGTH", `${alg} gives 8 ASCII bytes`);
      return cupEcbMac(cipherFor(alg === "cup-ecb" ? "des" : alg === "sm4-ecb" ? "sm4" : "3des", key), data);
    case "x9.9":
      return cbcMac(cipherFor("des", key), data, pad, opts.length);
    case "iso9797-1-alg1": {
      const c = opts.cipher || (key.length === 8 ? "des" : "3des");
      return cbcMac(cipherFor(c, key), data, pad, opts.length);
    }
    case "x9.19":
    case "iso9797-1-alg3":
      if (key.length !== 16) throw new CoreError("E_KEY_LENGTH", `${alg} needs a 16-byte key (K ‖ K'), got ${key.length}`);
      return retailMac(createCipher("des", key.subarray(0, 8)), createCipher("des", key.subarray(8, 16)), data, pad, opts.length);
    case "aes-cmac":
      return cmac(cipherFor("aes", key), data, opts.length);
    default:
      throw new CoreError("E_MAC_ALG", `unknown MAC algorithm ${String(alg)}`);
  }
}

/**
 * Recomputes the MAC of `data` and compares it with `mac` in constant time; throws E_MAC_MISMATCH when
 * they differ. Unless opts.length is given, a truncated `mac` (4.. bytes) is compared on its own length.
 */
export function verifyMac(alg: MacAlgorithm, key: Uint8Array, data: Uint8Array, mac: Uint8Array, opts: MacOptions = {}): void {
  const cup = alg === "cup-ecb" || alg === "cup-ecb-3des" || alg === "sm4-ecb";
  if (mac.length < 4) throw new CoreError("E_MAC_LENGTH", `a ${mac.length}-byte MAC is too short to check`);
  let length = opts.length;
  if (!cup && length === undefined) length = mac.length;
  const expected = computeMac(alg, key, data, { pad: opts.pad, length, cipher: opts.cipher });
  if (!constantTimeEqual(expected, mac)) throw new CoreError("E_MAC_MISMATCH", `${alg} MAC does not match`);
}
