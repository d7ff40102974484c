/**
 * The agent protocol on the debug line: CBOR (cbor-x on the Node side, the firmware's own codec inside) in CRC-32
 * frames, with noise before, between and inside frames; damaged frames cost one request, never the link.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { encode } from "cbor-x";
import { ensureBuilt } from "./build-once.ts";
import { startSession, type Session } from "../../boards/sim/script/session.ts";
import { crc32, encodeMessage, frame } from "../../boards/sim/script/agent-client.ts";
import { crc32 as firmwareCrc32 } from "../../firmware/core/crc32.ts";
import { encodeFrame } from "../../firmware/agent/frame.ts";

let s: Session;
test.before(async () => {
  await ensureBuilt();
  s = await startSession({});
});
test.after(async () => {
  const r = await s.close();
  assert.is(r.status, "exit", r.error);
});

test("Node's frames equal the firmware's (CRC-32 of length + payload, big-endian)", () => {
  const p = encode({ id: 7, op: "state", args: {} });
  assert.equal(Buffer.from(encodeFrame(new Uint8Array(p))).toString("hex"), frame(p).toString("hex"));
  const b = randomBytes(300);
  assert.is(crc32(b), firmwareCrc32(b, 0, b.length) >>> 0);
  // the check value of the standard CRC-32 ("123456789" -> CBF43926)
  assert.is(crc32(Buffer.from("123456789")).toString(16), "cbf43926");
});

test("requests through noise: garbage around frames, a false sync, a corrupted frame that is skipped", async () => {
  const a = s.world.agent;
  const hello = await a.call("hello");
  assert.is(hello.board, "sim");
  const before = await a.call("stats");
  // Noise before the frame, including a false sync with a huge length.
  a.noise = (f) => Buffer.concat([Buffer.from([0x00, 0xa5, 0x5a, 0xff, 0xff, 0x13]), randomBytes(40).map((x) => (x === 0xa5 ? 0 : x)), f, Buffer.from([0xa5])]);
  const st = await a.call("state");
  assert.is(st.activated, false);
  a.noise = undefined;
  // A frame with a flipped payload bit gets no answer; the request after it does.
  const bad = encodeMessage({ id: 999, op: "state", args: {} });
  bad[6]! ^= 0x01;
  a.raw(bad);
  const t = await a.call("time");
  assert.ok(t.monotonic > 0);
  const after = await a.call("stats");
  assert.ok(after.discarded - before.discarded >= 46, `discarded ${after.discarded - before.discarded}`);
  assert.is(after.frames - before.frames, 3, "state, time, stats: the damaged one is not a frame");
});

test("bad requests answer typed errors: not a request map, an unknown op, a bad key", async () => {
  const a = s.world.agent;
  const got = new Promise<any>((resolve) => {
    const l = (e: any) => e;
    void l;
    const orig = (a as any).onPayload.bind(a);
    (a as any).onPayload = (p: Buffer) => {
      (a as any).onPayload = orig;
      resolve(p);
    };
  });
  a.raw(frame(encode({ id: 5, op: 17 })));
  const raw = (await import("cbor-x")).decode(await got);
  assert.equal([raw.id, raw.ok, raw.error.code], [5, false, "E_AGENT_REQUEST"]);
  try {
    await a.call("nonsense");
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "E_AGENT_OP");
  }
  try {
    await a.call("keys", { keys: ["x"] });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "E_AGENT_KEY");
  }
});

test("the diag export is CBOR the desk tool reads; the log ring holds the app's lines", async () => {
  const a = s.world.agent;
  const d = await a.call("diag");
  const doc = (await import("cbor-x")).decode(Buffer.from(d));
  assert.is(doc.format, "cup-terminal-diag");
  assert.ok(doc.log.some((l: any[]) => /^app 0\.1\.0/.test(l[3])), JSON.stringify(doc.log));
  const log = await a.call("log", { last: 5 });
  assert.ok(log.length >= 1);
});

test.run();
