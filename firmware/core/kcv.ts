/**
 * Key check values and DES key parity.
 *
 * - `kcv`: the classic check value, E_key(block of zeros), first N bytes (default 4; 3 for display).
 *   Used by CUP for DES/3DES working keys (spec/cup-8583.md §7.3) and, with the same zero-block method,
 *   for SM4 and AES keys (the usual HSM "KCV" of an AES key).
 * - `kcvCmac`: the CMAC-based check value of ANSI X9.24-1:2017 (annex A, "CMAC-based check values"),
 *   which X9.24-3 / TR-31 use for AES keys: CMAC_key(block of zeros), first N bytes (default 5).
 * For AES this module does both; the default of `kcv` is the zero-block method, ask `kcvCmac` for X9.24's.
 *
 * DES keys carry odd parity in the low bit of each byte (X9.24 requires it for DES/TDES keys).
 */
import type { CipherAlgorithm } from "./cipher";
import { CoreError } from "./errors";
import { createCipher } from "./modes";
import { cmac } from "./mac";

const ZERO = new Uint8Array(16); // never written
const S_OUT = new Uint8Array(16);

function checkKey(alg: CipherAlgorithm, key: Uint8Array): void {
  const n = key.length;
  const ok = alg === "des" ? n === 8 : alg === "3des" ? n === 16 || n === 24 : alg === "sm4" ? n === 16 : alg === "aes" ? n === 16 || n === 24 || n === 32 : false;
  if (!ok) throw new CoreError("E_KEY_LENGTH", `${String(alg)} key of ${n} bytes`);
}

function checkLength(length: number, max: number): void {
  if (!(length >= 1 && length <= max) || length !== Math.floor(length)) throw new CoreError("E_KCV_LENGTH", `KCV length ${length} (1..${max})`);
}

/** E_key(zero block), first `length` bytes (default 4). */
export function kcv(alg: CipherAlgorithm, key: Uint8Array, length = 4): Uint8Array {
  checkKey(alg, key);
  const c = createCipher(alg, key);
  checkLength(length, c.blockSize);
  c.encryptBlock(ZERO, 0, S_OUT, 0);
  return S_OUT.slice(0, length);
}

/** X9.24-1:2017 CMAC check value: CMAC_key(one zero block), first `length` bytes (default 5). AES or TDES keys. */
export function kcvCmac(alg: "aes" | "3des", key: Uint8Array, length = 5): Uint8Array {
  checkKey(alg, key);
  const c = createCipher(alg, key);
  checkLength(length, c.blockSize);
  const full = cmac(c, ZERO.subarray(0, c.blockSize));
  return full.slice(0, length);
}

/** True when every byte of `key` has an odd number of set bits. */
export function hasOddParity(key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) {
    let v = key[i]!;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    if ((v & 1) === 0) return false;
  }
  return true;
}

/** Throws E_KEY_PARITY when a byte of `key` has even parity. */
export function assertOddParity(key: Uint8Array): void {
  if (!hasOddParity(key)) throw new CoreError("E_KEY_PARITY", "DES key byte with even parity");
}

/**
 * `key` with the low bit of each byte set so that the byte has odd parity (into `out`, which may be `key`
 * itself; a new array by default).
 */
export function setOddParity(key: Uint8Array, out: Uint8Array = new Uint8Array(key.length)): Uint8Array {
  if (out.length < key.length) throw new CoreError("E_RANGE", "parity output shorter than the key");
  for (let i = 0; i < key.length; i++) {
    const hi = key[i]! & 0xfe;
    let v = hi;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    out[i] = hi | ((v & 1) ^ 1);
  }
  return out;
}
