/** SHA-1: the FIPS 180 examples, every length around the padding boundaries and random data against node:crypto, streaming in pieces. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, randomBytes } from "node:crypto";
import { Sha1, sha1 } from "../../../firmware/core/sha1.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ref = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));

test("FIPS 180 examples: '', 'abc', the 448-bit message, one million 'a'", () => {
  assert.is(hex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.is(hex(sha1(ascii("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.is(hex(sha1(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  const h = new Sha1();
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) h.update(chunk);
  assert.is(hex(h.digest()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
});

test("every length 0..300 (padding at 55/56/63/64 bytes) equals node:crypto", () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.is(hex(sha1(data, 0, n)), ref(data.subarray(0, n)), `length ${n}`);
});

test("streaming in random pieces, byte by byte, with offsets, and reuse after digest", () => {
  const h = new Sha1();
  for (let round = 0; round < 50; round++) {
    const data = randomBytes(1 + Math.floor(Math.random() * 700));
    let p = 0;
    while (p < data.length) {
      const n = Math.min(data.length - p, Math.floor(Math.random() * 90));
      if (n === 1) h.updateByte(data[p]!);
      else h.update(data, p, n);
      p += n;
    }
    assert.is(hex(h.digest()), ref(data));
  }
  const out = new Uint8Array(25);
  sha1(new Uint8Array(0));
  new Sha1().update(ascii("abc")).digest(out, 5);
  assert.is(hex(out.subarray(5)), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.throws(() => new Sha1().update(new Uint8Array(4), 2, 3), (e: { code: string }) => e.code === "E_RANGE");
});

test.run();
