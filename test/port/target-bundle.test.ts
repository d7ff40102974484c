/**
 * The on-target test bundle (dist/ontarget/tests.js, needs only `print`) inside the native runtime:
 * every test passes, and the lines are the same as in the simulator's QuickJS (WebAssembly) run.
 * Also as a precompiled image (bytecode made by the runtime's --compile).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { imagesFor, buildImage } from "../../build/build.ts";
import { runPrintScript } from "../../boards/sim/print-runner.ts";
import { portBuild, runPort, runProcess, tempDir } from "./support.ts";

const script = join(ROOT, "dist/ontarget/tests.js");

test.before(async () => {
  await portBuild();
  for (const spec of imagesFor("ontarget")) await buildImage(spec);
});

test("every on-target test passes in the native QuickJS runtime, line for line as in the simulator", async () => {
  const r = await runPort(["--quiet", script]);
  assert.is(r.code, 0, r.stderr);
  const summary = /^(\d+) passed, (\d+) failed$/.exec(r.lines[r.lines.length - 1] ?? "");
  assert.ok(summary, r.stdout);
  assert.is(Number(summary![2]), 0, r.lines.filter((l) => l.startsWith("FAIL")).join("\n"));
  assert.ok(Number(summary![1]) >= 20, "the bundle has its tests");
  const sim = await runPrintScript(readFileSync(script, "utf8"), { memoryLimitBytes: 4 * 1024 * 1024 });
  assert.equal(r.lines, sim.lines);
  console.log(`  native runtime: ${summary![0]} in ${r.ms} ms (simulator ${sim.wallMs.toFixed(0)} ms)`);
});

test("the same bundle as a precompiled image gives the same lines", async () => {
  const b = await portBuild();
  const img = join(tempDir("ontarget"), "tests.img");
  const c = await runProcess(b.binary, ["--compile", script, img]);
  assert.is(c.code, 0, c.stderr);
  const a = await runPort(["--quiet", script]);
  const r = await runPort(["--quiet", img]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines, a.lines);
});

test("the JerryScript variant runs the same bundle (only where JERRYSCRIPT_DIR is set)", async () => {
  if (!process.env.JERRYSCRIPT_DIR) {
    console.log("  SKIPPED: JERRYSCRIPT_DIR is not set, so the JerryScript 3.0 variant was not built or run here");
    return;
  }
  const { buildPort } = await import("../../build/port.ts");
  const j = await buildPort({ board: "linux", engine: "jerry" });
  const r = await runProcess(j.binary, ["--quiet", script]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.lines[r.lines.length - 1] ?? "", /^\d+ passed, 0 failed$/);
});

test.run();
