/** Small helpers the Node-side tests share: hex in and out, typed-error checks, a seeded PRNG, OpenSSL references. */
import * as assert from "uvu/assert";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { bytesToHex, hexToBytes } from "../firmware/core/bytes.ts";

/** Bytes from hex written with spaces for readability. */
export const H = (s: string): Uint8Array => hexToBytes(s.replace(/\s+/g, ""));
/** Upper-case hex of bytes. */
export const hex = (b: Uint8Array): string => bytesToHex(b);

/** Expects `fn` to throw an error whose `code` is `code`. */
export function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.is((e as { code?: string }).code, code, String(e));
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** A deterministic xorshift PRNG in [0, 1), so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}

/** The same generator giving integers in 0..n-1 (s % n), as the fuzzers draw them. */
export function rngInt(seed: number): (n: number) => number {
  const next = xorshift32(seed);
  return (n) => next() % n;
}

function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** One ECB pass of an OpenSSL cipher without padding (the reference our ciphers are checked against). */
export function ecbRef(name: string, key: Uint8Array, block: Uint8Array, decrypt = false): Buffer {
  const c = decrypt ? createDecipheriv(name, key, null) : createCipheriv(name, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}
