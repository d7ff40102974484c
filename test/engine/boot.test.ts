/** The sim firmware in the embedded engine: banner, serial echo, timer, flash counter across a reboot. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createWorld } from "../../boards/sim/world.ts";
import { ensureBuilt } from "./build-once.ts";

test.before(ensureBuilt);

test("boots, proves the plumbing, reboots and finds its counter in flash", async () => {
  const world = createWorld();
  const r = await world.host.run();
  assert.is(r.status, "exit", r.error);
  assert.is(r.exitCode, 0);
  assert.is(r.boots, 2);
  const lines = world.logs.map((l) => l.message);
  assert.ok(lines[0]!.startsWith("firmware 0.1.0 board sim engine QuickJS"), lines[0]);
  assert.ok(lines.includes("plumbing boot=1 echo=ok timer=250ms"), lines.join("\n"));
  assert.ok(lines.includes("plumbing boot=2 echo=ok timer=250ms"), lines.join("\n"));
  // The echo went through the virtual serial device, not a shortcut.
  assert.equal(Array.from(world.loopback.seen[0]!), [0x50, 0x49, 0x4e, 0x47, 1]);
  assert.ok(r.memory.peakHeapBytes > 0 && r.memory.peakHeapBytes < r.memory.heapLimitBytes);
});

test("a fresh flash boots with counter 1 again (state lives only in flash)", async () => {
  const a = createWorld();
  await a.host.run();
  const b = createWorld();
  await b.host.run();
  assert.ok(b.logs.some((l) => l.message === "plumbing boot=1 echo=ok timer=250ms"));
});

test("a heap budget too small for the firmware stops it with out-of-memory, not a hang", async () => {
  const world = createWorld({ heapBytes: 512 });
  const r = await world.host.run();
  assert.is(r.status, "out-of-memory", `${r.status} ${r.error}`);
});

test.run();
