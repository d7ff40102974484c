/** SHA-256: the FIPS 180-4 examples and NIST CAVS short messages, every length around the padding boundaries and random data against node:crypto, streaming in pieces. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, randomBytes } from "node:crypto";
import { Sha256, sha256 } from "../../../firmware/core/sha256.ts";
import { hex as upperHex, rng } from "../../support.ts";

const hex = (b: Uint8Array) => upperHex(b).toLowerCase();

const ref = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));

test("FIPS 180-4 examples: '', 'abc', the 448-bit and 896-bit messages, one million 'a'", () => {
  assert.is(hex(sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.is(hex(sha256(ascii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.is(hex(sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert.is(
    hex(sha256(ascii("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  );
  const h = new Sha256();
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) h.update(chunk);
  assert.is(hex(h.digest()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("NIST CAVS SHA256ShortMsg (byte-oriented): Len=8, Len=16, Len=24", () => {
  assert.is(hex(sha256(Buffer.from("d3", "hex"))), "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1");
  assert.is(hex(sha256(Buffer.from("11af", "hex"))), "5ca7133fa735326081558ac312c620eeca9970d1e70a4b95533d956f072d1f98");
  assert.is(hex(sha256(Buffer.from("b4190e", "hex"))), "dff2e73091f6c05e528896c4c831b9448653dc2ff043528f6769437bc7b975c2");
});

test("every length 0..300 (padding at 55/56/63/64 bytes) equals node:crypto", () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.is(hex(sha256(data, 0, n)), ref(data.subarray(0, n)), `length ${n}`);
});

test("streaming in seeded random pieces, with offsets, and reuse after digest; bad ranges are typed errors", () => {
  const r = rng(256);
  const h = new Sha256();
  for (let round = 0; round < 60; round++) {
    const data = randomBytes(1 + Math.floor(r() * 3000));
    let p = 0;
    while (p < data.length) {
      const n = Math.min(data.length - p, Math.floor(r() * 130));
      h.update(data, p, n);
      p += n;
    }
    assert.is(hex(h.digest()), ref(data));
  }
  const out = new Uint8Array(40);
  new Sha256().update(ascii("abc")).digest(out, 8);
  assert.is(hex(out.subarray(8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.throws(() => new Sha256().update(new Uint8Array(4), 2, 3), (e: { code: string }) => e.code === "E_RANGE");
  assert.throws(() => new Sha256().digest(new Uint8Array(31)), (e: { code: string }) => e.code === "E_RANGE");
});

test("a 1 MB random image equals node:crypto (what the updater hashes)", () => {
  const data = randomBytes(1 << 20);
  assert.is(hex(sha256(data)), ref(data));
});

test.run();
