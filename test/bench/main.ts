/**
 * Entry of dist/bench/bench.js: our core's workloads, standalone. Needs only a global `print` and
 * `Date.now`, so the same file runs on jerry, qjs, a board's console or `npm run bench`:
 *
 *   bench <workload> <ops_per_second>        one line per workload, after its known-answer check
 *   bench-fail <workload> <what went wrong>  instead, when the check fails (the workload is not timed)
 *   bench-summary <n> ok, <n> failed         last line
 *
 * Optional globals: `benchBudgetMs` (a number, or a function returning one) sets the time per workload
 * (default 1000 ms).
 */
import { opsPerSecond } from "./measure";
import { OUR_WORKLOADS } from "./workloads";

declare const print: (line: string) => void;

function budgetMs(): number {
  const g = globalThis as { benchBudgetMs?: number | (() => number) };
  const v = typeof g.benchBudgetMs === "function" ? g.benchBudgetMs() : g.benchBudgetMs;
  return typeof v === "number" && v > 0 ? v : 1000;
}

const now = () => Date.now();
const budget = budgetMs();
let ok = 0;
let failed = 0;
for (const w of OUR_WORKLOADS) {
  let problem: string;
  try {
    // Built one at a time: only this workload's buffers are alive while it runs.
    const b = w.make();
    problem = b.verify();
    if (!problem) {
      print(`bench ${w.name} ${Math.round(opsPerSecond(b.op, budget, now))}`);
      ok++;
      continue;
    }
  } catch (e) {
    problem = `${(e as { code?: string }).code ?? "error"} ${(e as Error).message}`;
  }
  print(`bench-fail ${w.name} ${problem}`);
  failed++;
}
print(`bench-summary ${ok} ok, ${failed} failed`);
