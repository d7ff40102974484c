/**
 * Cipher construction (with a per-key schedule cache) and the ECB and CBC modes over any BlockCipher.
 *
 * A terminal uses the same MAK/PIK/TDK for every message, so `createCipher` keeps the eight most
 * recently used key schedules: asking again for a known key costs a short byte compare, no schedule
 * and no allocation. The cache keeps a copy of each key; `clearCipherCache()` wipes those copies (call
 * it when working keys are replaced or erased).
 *
 * Modes never allocate per block. `out` may be the input buffer itself (in place) or a separate buffer;
 * a partly overlapping `out` at another offset of the same memory is not supported.
 */
import type { BlockCipher, CipherAlgorithm } from "./cipher";
import { CoreError } from "./errors";
import { desCipher, tdesCipher } from "./des";
import { sm4Cipher } from "./sm4";
import { aesCipher } from "./aes";

const CACHE_SIZE = 8;
const cacheAlg: CipherAlgorithm[] = [];
const cacheKey: Uint8Array[] = [];
const cacheCipher: BlockCipher[] = [];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function build(alg: CipherAlgorithm, key: Uint8Array): BlockCipher {
  switch (alg) {
    case "des":
      return desCipher(key);
    case "3des":
      return tdesCipher(key);
    case "sm4":
      return sm4Cipher(key);
    case "aes":
      return aesCipher(key);
    default:
      throw new CoreError("E_CIPHER_ALGORITHM", `unknown cipher algorithm ${String(alg)}`);
  }
}

/**
 * A block cipher for `alg` and `key`: des 8 B; 3des 16 B (K1 K2 K1) or 24 B; sm4 16 B; aes 16/24/32 B
 * (CoreError E_KEY_LENGTH otherwise, E_CIPHER_ALGORITHM for an unknown name). The returned object is
 * shared by every caller with the same algorithm and key bytes; it holds no state besides its schedule.
 */
export function createCipher(alg: CipherAlgorithm, key: Uint8Array): BlockCipher {
  const n = cacheKey.length;
  for (let i = 0; i < n; i++) {
    if (cacheAlg[i] !== alg || !sameBytes(cacheKey[i]!, key)) continue;
    const c = cacheCipher[i]!;
    if (i > 0) {
      // Move to the front: the least recently used entry is the one dropped.
      const k = cacheKey[i]!;
      for (let j = i; j > 0; j--) {
        cacheAlg[j] = cacheAlg[j - 1]!;
        cacheKey[j] = cacheKey[j - 1]!;
        cacheCipher[j] = cacheCipher[j - 1]!;
      }
      cacheAlg[0] = alg;
      cacheKey[0] = k;
      cacheCipher[0] = c;
    }
    return c;
  }
  const c = build(alg, key);
  if (n === CACHE_SIZE) {
    cacheKey[n - 1]!.fill(0);
    cacheAlg.pop();
    cacheKey.pop();
    cacheCipher.pop();
  }
  cacheAlg.unshift(alg);
  cacheKey.unshift(Uint8Array.from(key)); // a copy: slice() of a Node Buffer is a view, and eviction zeroes it
  cacheCipher.unshift(c);
  return c;
}

/** Forgets every cached key schedule and zeroes the cached key copies. */
export function clearCipherCache(): void {
  for (const k of cacheKey) k.fill(0);
  cacheAlg.length = 0;
  cacheKey.length = 0;
  cacheCipher.length = 0;
}

function output(c: BlockCipher, data: Uint8Array, out: Uint8Array | undefined): Uint8Array {
  if (data.length % c.blockSize !== 0)
    throw new CoreError("E_BLOCK_LENGTH", `data length ${data.length} is not a multiple of the ${c.blockSize}-byte block`);
  if (!out) return new Uint8Array(data.length);
  if (out.length < data.length) throw new CoreError("E_BUFFER_LENGTH", `output buffer of ${out.length} bytes is shorter than the ${data.length} bytes of data`);
  return out;
}

function checkIv(c: BlockCipher, iv: Uint8Array): void {
  if (iv.length !== c.blockSize) throw new CoreError("E_IV_LENGTH", `IV must be ${c.blockSize} bytes, got ${iv.length}`);
}

/** ECB encryption of whole blocks (E_BLOCK_LENGTH otherwise). Returns `out` (new if not given). */
export function ecbEncrypt(c: BlockCipher, data: Uint8Array, out?: Uint8Array): Uint8Array {
  const o = output(c, data, out);
  const bs = c.blockSize;
  for (let i = 0, n = data.length; i < n; i += bs) c.encryptBlock(data, i, o, i);
  return o;
}

/** ECB decryption of whole blocks (E_BLOCK_LENGTH otherwise). Returns `out` (new if not given). */
export function ecbDecrypt(c: BlockCipher, data: Uint8Array, out?: Uint8Array): Uint8Array {
  const o = output(c, data, out);
  const bs = c.blockSize;
  for (let i = 0, n = data.length; i < n; i += bs) c.decryptBlock(data, i, o, i);
  return o;
}

/**
 * CBC encryption of whole blocks with a block-sized IV (E_IV_LENGTH otherwise). No padding: pad
 * first. The last ciphertext block is the IV to chain a following call.
 */
export function cbcEncrypt(c: BlockCipher, data: Uint8Array, iv: Uint8Array, out?: Uint8Array): Uint8Array {
  checkIv(c, iv);
  const o = output(c, data, out);
  const bs = c.blockSize;
  const n = data.length;
  if (n === 0) return o;
  for (let j = 0; j < bs; j++) o[j] = data[j]! ^ iv[j]!;
  c.encryptBlock(o, 0, o, 0);
  for (let i = bs; i < n; i += bs) {
    for (let j = i, p = i - bs, e = i + bs; j < e; j++, p++) o[j] = data[j]! ^ o[p]!;
    c.encryptBlock(o, i, o, i);
  }
  return o;
}

/** CBC decryption of whole blocks with a block-sized IV (E_IV_LENGTH otherwise). */
export function cbcDecrypt(c: BlockCipher, data: Uint8Array, iv: Uint8Array, out?: Uint8Array): Uint8Array {
  checkIv(c, iv);
  const o = output(c, data, out);
  const bs = c.blockSize;
  // Last block first: each block's predecessor is still ciphertext when it is needed, even in place.
  for (let i = data.length - bs; i > 0; i -= bs) {
    c.decryptBlock(data, i, o, i);
    for (let j = i, p = i - bs, e = i + bs; j < e; j++, p++) o[j] ^= data[p]!;
  }
  if (data.length) {
    c.decryptBlock(data, 0, o, 0);
    for (let j = 0; j < bs; j++) o[j] ^= iv[j]!;
  }
  return o;
}
