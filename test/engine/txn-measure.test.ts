/**
 * Figures of the transaction stack (printed; the one assertion is the board's heap budget): the minified bytes of
 * its modules, and the engine memory of the on-target scenario in QuickJS step by step — for each of open
 * (store mount, journal index, operators), sign-in, sale with PIN, void: the memory held after it and the peak
 * within it, above the memory before the scenario started (code excluded) — and its wall time.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { ROOT, loadBoard } from "../../build/board.ts";
import { buildImage } from "../../build/build.ts";
import { quickjs } from "../../boards/sim/engine-host.ts";

const ENTRY = "test/engine/fixtures/txn-measure.ts";
const OUT = "dist/test/txn-measure.js";

test("bundle bytes of the transaction modules; memory of open, sign-in, sale, void within the board's heap budget", async () => {
  const board = loadBoard("ontarget");
  const report = await buildImage({ board, entry: ENTRY, outfile: OUT, globals: ["print", "__mark"], minify: true });
  const meta = await esbuild.build({ absWorkingDir: ROOT, entryPoints: [ENTRY], bundle: true, format: "iife", platform: "neutral", target: "es2021", minify: true, write: false, metafile: true, charset: "utf8", legalComments: "none", define: { __BOARD__: JSON.stringify(board), __VERSION__: '"x"' }, outfile: "x.js" });
  const inputs = Object.values(meta.metafile.outputs)[0]!.inputs;
  const mine = /^firmware\/(cup\/(messages|exchange)|terminal\/|txn\/|receipt\/)/;
  const byFile: string[] = [];
  let ours = 0;
  for (const [k, v] of Object.entries(inputs))
    if (mine.test(k)) {
      ours += v.bytesInOutput;
      byFile.push(`${k.replace(/^firmware\//, "")} ${v.bytesInOutput}`);
    }

  const QJS = await quickjs();
  const rt = QJS.newRuntime();
  const ctx = rt.newContext();
  const used = () => Number(/memory used\s+\d+\s+(\d+)/.exec(rt.dumpMemoryUsage())?.[1] ?? 0);
  let peak = 0;
  const marks: Array<{ name: string; at: number; peakBefore: number }> = [];
  const lines: string[] = [];
  rt.setInterruptHandler(() => {
    peak = Math.max(peak, used());
    return false;
  });
  const fn = (name: string, f: (...a: any[]) => any) => {
    const h = ctx.newFunction(name, f);
    ctx.setProp(ctx.global, name, h);
    h.dispose();
  };
  fn("print", (...a) => void lines.push(a.map((x) => String(ctx.dump(x))).join(" ")));
  fn("__mark", (n) => {
    const now = used();
    marks.push({ name: ctx.getString(n), at: now, peakBefore: Math.max(peak, now) });
    peak = now;
    return ctx.newNumber(now);
  });
  const t0 = performance.now();
  const r = ctx.evalCode(readFileSync(join(ROOT, OUT), "utf8"), "txn-measure.js");
  if (r.error) throw new Error(JSON.stringify(ctx.dump(r.error)));
  r.value.dispose();
  for (;;) {
    const j = rt.executePendingJobs();
    if (j.error) throw new Error(JSON.stringify(ctx.dump(j.error)));
    if (j.value === 0) break;
  }
  const wall = performance.now() - t0;
  ctx.dispose();
  rt.dispose();
  assert.ok(lines.includes("done: sale approved void approved"), lines.join("\n"));
  const base = marks[0]!.at;
  const steps: string[] = [];
  let worst = 0;
  for (let i = 1; i < marks.length; i++) {
    const step = marks[i - 1]!.name;
    const held = marks[i]!.at - base;
    const stepPeak = marks[i]!.peakBefore - base;
    worst = Math.max(worst, stepPeak);
    steps.push(`${step}: held ${held} B, peak ${stepPeak} B`);
  }
  console.log(`    txn modules ${ours} B minified (${byFile.join(", ")}); probe bundle ${report.bytes} B`);
  console.log(`    QuickJS memory above the start of the scenario: ${steps.join("; ")}; run ${wall.toFixed(0)} ms`);
  assert.ok(worst < board.budgets.heapBytes, `peak ${worst} B over the heap budget ${board.budgets.heapBytes} B`);
});

test.run();
