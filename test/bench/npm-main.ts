/**
 * Entry of the engine-side comparison bundle (dist/bench/compare.js, built by run.ts with the `buffer`
 * polyfill injected): ours against the npm libraries inside the embedded engine, one `cmp` line per
 * implementation and workload (suite.ts), then `cmp-end`. Optional globals (numbers or functions
 * returning one): `benchRounds` (default 5), `benchRoundMs` (default 200); `benchOnly`, a RegExp source
 * string selecting workloads.
 */
import { eventLine, runSuite } from "./suite";
import { OUR_8583_VARIANTS } from "./workloads";
import { NPM_COMPETITORS } from "./npm-workloads";

declare const print: (line: string) => void;

function option(name: string, fallback: number): number {
  const v = (globalThis as Record<string, unknown>)[name];
  const n = typeof v === "function" ? (v as () => unknown)() : v;
  return typeof n === "number" && n > 0 ? n : fallback;
}

const onlyText = (globalThis as { benchOnly?: unknown }).benchOnly;
const only = typeof onlyText === "string" ? new RegExp(onlyText) : undefined;

runSuite(
  [...OUR_8583_VARIANTS, ...NPM_COMPETITORS],
  { rounds: option("benchRounds", 5), roundMs: option("benchRoundMs", 200), now: () => Date.now(), select: only ? (n) => only.test(n) : undefined },
  (e) => print(eventLine(e)),
);
print("cmp-end");
