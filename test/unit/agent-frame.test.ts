/** Test-agent frames over a noisy UART: every intact frame comes out once, damage costs only its own frame. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeFrame, FrameDecoder, MAX_PAYLOAD } from "../../firmware/agent/frame.ts";
import { rng, hex } from "../support.ts";

test("frames survive arbitrary splits and come out in order", () => {
  const r = rng(11);
  for (let round = 0; round < 300; round++) {
    const payloads = Array.from({ length: 1 + Math.floor(r() * 6) }, () => new Uint8Array(Math.floor(r() * 300)).map(() => Math.floor(r() * 256)));
    const stream = new Uint8Array(payloads.reduce((n, p) => n + p.length + 8, 0));
    let o = 0;
    for (const p of payloads) {
      const f = encodeFrame(p);
      stream.set(f, o);
      o += f.length;
    }
    const got: string[] = [];
    const d = new FrameDecoder((p) => got.push(hex(p)));
    for (let i = 0; i < stream.length; ) {
      const n = 1 + Math.floor(r() * 40);
      d.push(stream.subarray(i, i + n));
      i += n;
    }
    assert.equal(got, payloads.map(hex));
    assert.is(d.discarded, 0);
  }
});

test("noise between frames and damaged frames: the intact ones still arrive, nothing twice", () => {
  const r = rng(12);
  let intact = 0;
  let delivered = 0;
  for (let round = 0; round < 300; round++) {
    const want: string[] = [];
    const parts: Uint8Array[] = [];
    for (let k = 0; k < 8; k++) {
      if (r() < 0.5) parts.push(new Uint8Array(Math.floor(r() * 20)).map(() => (r() < 0.1 ? 0xa5 : Math.floor(r() * 256))));
      const p = new Uint8Array(Math.floor(r() * 100)).map(() => Math.floor(r() * 256));
      const f = encodeFrame(p);
      if (r() < 0.2) f[Math.floor(r() * f.length)] ^= 1 + Math.floor(r() * 255); // damaged in transit
      else want.push(hex(p));
      parts.push(f);
    }
    const got: string[] = [];
    const d = new FrameDecoder((p) => got.push(hex(p)));
    for (const p of parts) d.push(p);
    d.idle(); // the line goes quiet after the burst
    // Every intact frame is delivered, in order; a damaged one never is (CRC-32).
    assert.equal(got, want);
    intact += want.length;
    delivered += got.length;
  }
  assert.is(delivered, intact);
});

test("a frame over the size limit is refused with a typed error", () => {
  assert.throws(() => encodeFrame(new Uint8Array(MAX_PAYLOAD + 1)), (e: { code?: string }) => e.code === "E_FRAME_TOO_BIG");
});

test.run();
