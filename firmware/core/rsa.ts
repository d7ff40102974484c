/**
 * RSA public-key operation (recovery of signed data: X = S^e mod n) for EMV offline data
 * authentication (EMV Book 2 §5-6, Annex B2.1: public exponents 3 and 2^16+1 only, moduli up to
 * 1984 bits). No BigInt (JerryScript snapshots refuse it): a small bignum over 13-bit limbs.
 *
 * Why 13 bits: a limb product is below 2^26, and a Montgomery multiply-accumulate step
 * t[j] + a[j]*b[i] + carry stays below 2^27, the largest integer JerryScript keeps unboxed. Limbs are
 * little-endian in Uint16Array; the working buffers belong to the key object and are reused.
 *
 * Montgomery multiplication (CIOS) with R = 2^(13k): R^2 mod n is built once per key from 2^(b-1)
 * (b = bits of n) by doublings up to R mod n, then squarings and doublings in the Montgomery domain.
 */
import { CoreError } from "./errors";

const BITS = 13;
const MASK = 0x1fff;

/** Largest EMV modulus (Book 2 Annex A: 248 bytes for CA keys). */
export const RSA_MAX_MODULUS_BYTES = 248;

/** A public key ready to apply (precomputes R^2 mod n and -n^-1 mod 2^13). */
export class RsaPublicKey {
  /** Modulus length in bytes (= length of inputs and outputs). */
  readonly length: number;
  /** Exponent: 3 or 65537. */
  readonly exponent: number;
  private readonly k: number;
  private readonly n: Uint16Array;
  private readonly n0inv: number;
  private readonly r2: Uint16Array;
  private readonly t: Int32Array;
  private readonly x: Uint16Array;
  private readonly y: Uint16Array;
  private readonly z: Uint16Array;

  /**
   * `modulus` big-endian (its leading byte non-zero, odd, 64..248 bytes), `exponent` as bytes (03 or
   * 010001) or a number. E_RSA_MODULUS, E_RSA_EXPONENT.
   * `maxBytes` (default the EMV limit) lets firmware-update signatures use RSA-2048 (256 bytes): limb products
   * and CIOS sums stay below 2^27 whatever the modulus length.
   */
  constructor(modulus: Uint8Array, exponent: Uint8Array | number, maxBytes = RSA_MAX_MODULUS_BYTES) {
    const len = modulus.length;
    if (len < 1 || len > maxBytes) throw new CoreError("E_RSA_MODULUS", `modulus of ${len} bytes: 1..${maxBytes}`);
    if (modulus[0] === 0) throw new CoreError("E_RSA_MODULUS", "modulus has a leading zero byte");
    if ((modulus[len - 1]! & 1) === 0) throw new CoreError("E_RSA_MODULUS", "modulus is even");
    let e = 0;
    if (typeof exponent === "number") e = exponent;
    else {
      if (exponent.length > 3) throw new CoreError("E_RSA_EXPONENT", `exponent of ${exponent.length} bytes`);
      for (let i = 0; i < exponent.length; i++) e = e * 256 + exponent[i]!;
    }
    if (e !== 3 && e !== 65537) throw new CoreError("E_RSA_EXPONENT", `public exponent ${e}: EMV allows 3 and 65537`);
    this.length = len;
    this.exponent = e;
    const k = Math.ceil((len * 8) / BITS);
    this.k = k;
    this.n = new Uint16Array(k);
    bytesToLimbs(modulus, 0, len, this.n);
    // -n^-1 mod 2^13 by Newton's iteration (each step doubles the correct low bits: 1 -> 2 -> 4 -> 8 -> 16).
    const n0 = this.n[0]!;
    let inv = n0;
    for (let i = 0; i < 4; i++) inv = (inv * ((2 - ((n0 * inv) & MASK)) & MASK)) & MASK;
    this.n0inv = (0x2000 - inv) & MASK;
    this.t = new Int32Array(k + 2);
    this.x = new Uint16Array(k);
    this.y = new Uint16Array(k);
    this.z = new Uint16Array(k);
    this.r2 = new Uint16Array(k);
    this.computeR2();
  }

  /** R^2 mod n into this.r2 (uses x and y). */
  private computeR2(): void {
    const k = this.k;
    const x = this.x;
    // b = bit length of n; 2^(b-1) < n.
    let top = k - 1;
    while (top > 0 && this.n[top] === 0) top--;
    let tb = 0;
    for (let v = this.n[top]!; v > 0; v >>= 1) tb++;
    const b = top * BITS + tb;
    x.fill(0);
    x[((b - 1) / BITS) | 0] = 1 << ((b - 1) % BITS);
    // Doublings up to 2^(13k) mod n = R mod n: the Montgomery form of 1.
    for (let i = b - 1; i < k * BITS; i++) this.double(x);
    // Build the Montgomery form of 2^(13k) (that is R^2 mod n) by the bits of p = 13k from the top:
    // square: M(2^q) -> M(2^(2q)); double: M(2^q) -> M(2^(q+1)).
    const p = k * BITS;
    let hb = 0;
    for (let v = p; v > 0; v >>= 1) hb++;
    for (let i = hb - 1; i >= 0; i--) {
      this.mont(x, x, this.y);
      x.set(this.y);
      if ((p >> i) & 1) this.double(x);
    }
    this.r2.set(x);
  }

  /** x = 2x mod n (x < n). */
  private double(x: Uint16Array): void {
    const k = this.k;
    let carry = 0;
    for (let i = 0; i < k; i++) {
      const v = (x[i]! << 1) | carry;
      x[i] = v & MASK;
      carry = v >> BITS;
    }
    if (carry || !lessThan(x, this.n, k)) subtractInPlace(x, this.n, k);
  }

  /** out = a * b * R^-1 mod n (CIOS); out may not alias a or b. */
  private mont(a: Uint16Array, b: Uint16Array, out: Uint16Array): void {
    const k = this.k;
    const n = this.n;
    const t = this.t;
    const n0inv = this.n0inv;
    t.fill(0);
    let i = 0;
    let j = 0;
    let c = 0;
    let s = 0;
    let bi = 0;
    let m = 0;
    for (i = 0; i < k; i++) {
      bi = b[i]!;
      c = 0;
      for (j = 0; j < k; j++) {
        s = t[j]! + a[j]! * bi + c;
        t[j] = s & MASK;
        c = s >> BITS;
      }
      s = t[k]! + c;
      t[k] = s & MASK;
      t[k + 1] = s >> BITS;
      m = (t[0]! * n0inv) & MASK;
      c = (t[0]! + m * n[0]!) >> BITS;
      for (j = 1; j < k; j++) {
        s = t[j]! + m * n[j]! + c;
        t[j - 1] = s & MASK;
        c = s >> BITS;
      }
      s = t[k]! + c;
      t[k - 1] = s & MASK;
      t[k] = t[k + 1]! + (s >> BITS);
    }
    for (j = 0; j < k; j++) out[j] = t[j]!;
    if (t[k] !== 0 || !lessThan(out, n, k)) subtractInPlace(out, n, k);
  }

  /**
   * X = input^e mod n. `input` has exactly `length` bytes and is below the modulus (E_RSA_INPUT);
   * the result goes to out[off] (a new array without `out`), big-endian on `length` bytes.
   */
  apply(input: Uint8Array, out?: Uint8Array, off = 0): Uint8Array {
    const len = this.length;
    if (input.length !== len) throw new CoreError("E_RSA_INPUT", `input of ${input.length} bytes, modulus of ${len}`);
    const o = out ?? new Uint8Array(len);
    if (!(off >= 0 && off + len <= o.length)) throw new CoreError("E_RANGE", "no room for the RSA result");
    const k = this.k;
    const a = this.z;
    bytesToLimbs(input, 0, len, a);
    if (!lessThan(a, this.n, k)) throw new CoreError("E_RSA_INPUT", "input is not below the modulus");
    const x = this.x;
    const y = this.y;
    // a in the Montgomery domain: x = a R mod n, kept in z as the multiplier.
    this.mont(a, this.r2, x);
    a.set(x);
    if (this.exponent === 3) {
      this.mont(x, x, y);
      this.mont(y, a, x);
    } else {
      for (let i = 0; i < 16; i++) {
        this.mont(x, x, y);
        x.set(y);
      }
      this.mont(x, a, y);
      x.set(y);
    }
    // Out of the Montgomery domain: multiply by 1.
    y.fill(0);
    y[0] = 1;
    this.mont(x, y, a);
    limbsToBytes(a, k, o, off, len);
    return o;
  }
}

/** X = input^e mod n in one call (builds the key each time: keep an RsaPublicKey to reuse). */
export function rsaPublic(modulus: Uint8Array, exponent: Uint8Array | number, input: Uint8Array): Uint8Array {
  return new RsaPublicKey(modulus, exponent).apply(input);
}

function lessThan(a: Uint16Array, b: Uint16Array, k: number): boolean {
  for (let i = k - 1; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i]! < b[i]!;
  }
  return false;
}

/** a -= b (a >= b, or a's lost top carry makes up the difference: the result is taken mod 2^(13k)). */
function subtractInPlace(a: Uint16Array, b: Uint16Array, k: number): void {
  let borrow = 0;
  for (let i = 0; i < k; i++) {
    const v = a[i]! - b[i]! - borrow;
    if (v < 0) {
      a[i] = v + 0x2000;
      borrow = 1;
    } else {
      a[i] = v;
      borrow = 0;
    }
  }
}

/** Big-endian bytes -> little-endian 13-bit limbs (out is zero-filled beyond the value). */
function bytesToLimbs(src: Uint8Array, off: number, len: number, out: Uint16Array): void {
  out.fill(0);
  let acc = 0;
  let bits = 0;
  let li = 0;
  for (let p = off + len - 1; p >= off; p--) {
    acc |= src[p]! << bits;
    bits += 8;
    if (bits >= BITS) {
      out[li++] = acc & MASK;
      acc >>= BITS;
      bits -= BITS;
    }
  }
  if (bits > 0 && li < out.length) out[li] = acc;
}

/** Little-endian 13-bit limbs -> big-endian bytes on `len` bytes at out[off]. */
function limbsToBytes(src: Uint16Array, k: number, out: Uint8Array, off: number, len: number): void {
  let acc = 0;
  let bits = 0;
  let li = 0;
  for (let p = off + len - 1; p >= off; p--) {
    while (bits < 8 && li < k) {
      acc |= src[li++]! << bits;
      bits += BITS;
    }
    out[p] = acc & 0xff;
    acc >>= 8;
    bits -= 8;
  }
}
