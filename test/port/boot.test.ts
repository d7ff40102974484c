/**
 * The boot smoke test in the native runtime: dist/linux/firmware.js (firmware/main.ts for the linux
 * board) echoes through a real pseudo-terminal pair, waits on a timer, counts boots in the flash file
 * across system.reset() and across a new process; and the same run is clean under valgrind (no leak,
 * no invalid access). Where valgrind is missing that part is skipped, and the output says so.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { hasValgrind, portBuild, PtyEcho, runPort, runProcess, tempDir } from "./support.ts";

function checkBoots(lines: string[], first: number): void {
  const plumbing = lines.filter((l) => l.startsWith("INF plumbing"));
  assert.is(plumbing.length, 2, lines.join("\n"));
  for (const [i, l] of plumbing.entries()) {
    const m = /^INF plumbing boot=(\d+) echo=(\w+) timer=(\d+)ms$/.exec(l);
    assert.ok(m, l);
    assert.is(Number(m![1]), first + i);
    assert.is(m![2], "ok");
    // Real time: at least the 250 ms asked for, not much more.
    assert.ok(Number(m![3]) >= 250 && Number(m![3]) < 1500, l);
  }
  assert.ok(lines[0]!.startsWith("INF firmware 0.1.0 board linux engine QuickJS 2021-03-27 (native port, board linux)"), lines[0]);
  assert.not.ok(lines.some((l) => l.startsWith("ERR")), lines.join("\n"));
}

test("boots, echoes over a pty, sleeps on a timer, reboots and finds its counter in the flash file", async () => {
  const b = await portBuild();
  const dir = tempDir("boot");
  const link = join(dir, "loopback");
  const echo = new PtyEcho(link);
  const flash = join(dir, "flash.bin");
  try {
    const r = await runPort(["--flash", flash, "--port", `uart:loopback=pty:${link}`, b.script], 20000);
    assert.is(r.code, 0, r.stdout + r.stderr);
    checkBoots(r.lines, 1);
    assert.match(r.stderr, /boot 1 ended \(reset\)/);
    assert.match(r.stderr, /boot 2 ended \(exit\)/);
    // The firmware's bytes crossed the pty: "PING" + the boot number, once per boot.
    assert.equal(Buffer.concat(echo.seen).toString("hex"), "50494e470150494e4702");
  } finally {
    await echo.close();
  }
  // A new process on the same flash file: the counter goes on (state lives only in flash).
  const link2 = join(dir, "loopback2");
  const echo2 = new PtyEcho(link2);
  try {
    const r = await runPort(["--flash", flash, "--port", `uart:loopback=pty:${link2}`, "--quiet", b.image], 20000);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const m = r.lines.filter((l) => l.startsWith("INF plumbing"));
    assert.equal(m, ["INF plumbing boot=3 echo=ok timer=" + /timer=(\d+)/.exec(m[0] ?? "")?.[1] + "ms"]);
  } finally {
    await echo2.close();
  }
});

test("without a device on the loopback port the echo times out and the firmware says so", async () => {
  const b = await portBuild();
  const dir = tempDir("noecho");
  const r = await runPort(["--flash", join(dir, "f.bin"), "--port", `uart:loopback=pty:${join(dir, "lb")}`, "--quiet", b.image], 20000);
  assert.is(r.code, 1);
  assert.ok(r.lines.some((l) => /^ERR plumbing failed E_TIMEOUT/.test(l)), r.stdout);
});

test("the boot smoke test (two boots) is clean under valgrind", async () => {
  if (!hasValgrind()) {
    console.log("  SKIPPED: valgrind is not installed here, so the valgrind part of the boot test did not run");
    return;
  }
  const b = await portBuild();
  const dir = tempDir("valgrind");
  const link = join(dir, "loopback");
  const echo = new PtyEcho(link);
  try {
    const r = await runProcess(
      "valgrind",
      ["--leak-check=full", "--show-leak-kinds=all", "--errors-for-leak-kinds=all", "--error-exitcode=99", "--track-fds=no", b.binary, "--flash", join(dir, "flash.bin"), "--port", `uart:loopback=pty:${link}`, b.image],
      120000,
    );
    assert.is(r.code, 0, r.stderr);
    checkBoots(r.lines, 1);
    assert.match(r.stderr, /ERROR SUMMARY: 0 errors from 0 contexts/);
    assert.match(r.stderr, /All heap blocks were freed -- no leaks are possible/);
    console.log(`  valgrind: 2 boots, 0 errors, no leaks (${r.ms} ms)`);
  } finally {
    await echo.close();
  }
});

test.run();
