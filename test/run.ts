/**
 * `npm test`: type-check, build (with size budgets), unit and engine tests (uvu), the on-target test
 * bundle inside the embedded engine. Ends with one line: `N passed, N failed`.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../build/board.ts";
import { allImages, buildImage, formatReport } from "../build/build.ts";
import { runPrintScript } from "../boards/sim/print-runner.ts";
import { assembleReliabilityReport, REPORT_DIR } from "./reliability/report.ts";

let passed = 0;
let failed = 0;
const step = (name: string, ok: boolean, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? "\n" + detail : ""}`);
};
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const tsc = join(ROOT, "node_modules", ".bin", "tsc");

// The reliability report is rebuilt from this run's fragments only.
rmSync(join(REPORT_DIR, "reliability"), { recursive: true, force: true });

// 1. Type-check: engine code against the engine typings alone, then the Node side.
for (const project of ["tsconfig.engine.json", "tsconfig.json"]) {
  const r = spawnSync(tsc, ["-p", project], { cwd: ROOT, encoding: "utf8" });
  step(`type-check ${project}`, r.status === 0, r.status === 0 ? "" : stripAnsi(r.stdout + r.stderr).trim());
}

// 2. Build every image, with its size report.
for (const spec of allImages()) {
  try {
    const report = await buildImage(spec);
    step(`build ${spec.outfile}`, true, "    " + formatReport(report));
  } catch (e) {
    step(`build ${spec.outfile}`, false, (e as Error).message);
  }
}

// 3. Unit, engine and HIL tests (uvu), in a child process so its totals are its own.
{
  const filter = process.env.TEST_FILTER ?? "\\.test\\.ts$";
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "node_modules/uvu/bin.js"), "test", filter, "-i", "ontarget", "-i", "fixtures"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0" },
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = stripAnsi(r.stdout + r.stderr);
  process.stdout.write(out);
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(ok)) step("uvu suites ran", false, `uvu exited ${r.status} without totals`);
  else {
    passed += ok;
    failed += total - ok - skipped;
    if (r.status !== 0 && total === ok + skipped) step("uvu exit status", false, `uvu exited ${r.status}`);
  }
}

// 4. The on-target test bundle inside the embedded engine (only `print` provided).
{
  const src = readFileSync(join(ROOT, "dist/ontarget/tests.js"), "utf8");
  const run = await runPrintScript(src, { memoryLimitBytes: 4 * 1024 * 1024 });
  for (const line of run.lines) console.log(`  [engine] ${line}`);
  const summary = run.lines.map((l) => /^(\d+) passed, (\d+) failed$/.exec(l)).find(Boolean);
  if (run.error || !summary) step("on-target bundle completed", false, run.error ?? "no summary line");
  else {
    passed += Number(summary[1]);
    failed += Number(summary[2]);
    console.log(`  [engine] on-target bundle: ${run.wallMs.toFixed(0)} ms, peak ${run.peakBytes} B above the empty engine`);
  }
}

{
  const report = assembleReliabilityReport();
  if (report) console.log(`reliability report: ${report}`);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
