/** The natives' ECMA-419 shape in the native runtime (see fixtures/natives-entry.ts for the checks). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { bundleForLinux, PtyEcho, runPort, tempDir } from "./support.ts";

test("serial, timers, clock, flash and system behave as hal/engine.d.ts says", async () => {
  const script = await bundleForLinux("test/port/fixtures/natives-entry.ts");
  const dir = tempDir("natives");
  const link = join(dir, "lb");
  const echo = new PtyEcho(link);
  try {
    const r = await runPort(["--quiet", "--sn", "TEST-0042", "--flash", join(dir, "f.bin"), "--port", `uart:loopback=pty:${link}`, script], 20000);
    const checks = r.lines.filter((l) => l.startsWith("INF check "));
    const failed = checks.filter((l) => !l.endsWith(" ok"));
    assert.equal(failed, [], r.stdout + r.stderr);
    assert.ok(checks.length >= 40, `${checks.length} checks ran:\n${r.stdout}${r.stderr}`);
    assert.is(r.code, 0, r.stderr);
    // The 200 bytes went out through the pty and came back through it.
    assert.is(Buffer.concat(echo.seen).length, 200);
  } finally {
    await echo.close();
  }
});

test("an uncaught exception in a callback ends the run with status 1 and says where", async () => {
  const dir = tempDir("throw");
  const file = join(dir, "t.js");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, '__natives.timers.set(function () { throw new Error("boom in a timer"); }, 5);');
  const r = await runPort(["--quiet", file]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /uncaught exception in a callback: Error: boom in a timer/);
});

test.run();
