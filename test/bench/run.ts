/**
 * `npm run bench`: the core's benchmarks on Node and inside the embedded engine, in one invocation.
 *
 *   1. builds dist/bench/bench.js (the standalone bench, as `npm run build` does) and dist/bench/compare.js
 *      (ours + the npm libraries, the `buffer` polyfill injected), and measures firmware/core minified;
 *   2. Node: ours, node:crypto and the npm libraries (suite.ts: results cross-checked, interleaved rounds);
 *   3. engine: compare.js in QuickJS (the JerryScript stand-in), same suite, no node:crypto;
 *   4. bench.js in a 64 KB engine heap (boards/sim/print-runner.ts), with its peak memory;
 *   5. the table: ops/s and ratios against node:crypto and the best npm library, and the issue's goals.
 *
 * Options: --rounds N (5), --round-ms N (150 on Node, 200 in the engine), --quick (3 rounds of 60 ms),
 * --only REGEX (workloads). Exit status 1 when a result disagrees, a known answer fails or a run breaks;
 * goals are figures, not failures.
 */
import * as esbuild from "esbuild";
import { readFileSync, readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { UNSUPPORTED, VERSION, benchImage, buildImage, formatReport, imagesFor } from "../../build/build.ts";
import { runPrintScript } from "../../boards/sim/print-runner.ts";
import { WORKLOAD_NAMES } from "./inputs.ts";
import { parseEventLine, runSuite, type SuiteEvent } from "./suite.ts";
import { OUR_8583_VARIANTS, packedSale } from "./workloads.ts";
import { NPM_COMPETITORS, iso8583PackedLength } from "./npm-workloads.ts";
import { NODE_CRYPTO, NODE_HAS_SM4 } from "./node-workloads.ts";
import { COMPARE_JS, buildCompareBundle, runTimed } from "./engine.ts";

// ---- options ----------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const quick = argv.includes("--quick");
const rounds = Number(arg("--rounds") ?? (quick ? 3 : 5));
const nodeRoundMs = Number(arg("--round-ms") ?? (quick ? 60 : 150));
const engineRoundMs = Number(arg("--round-ms") ?? (quick ? 60 : 200));
const onlyText = arg("--only");
const only = onlyText ? new RegExp(onlyText) : undefined;
if (!(rounds >= 1 && nodeRoundMs >= 1)) {
  console.error("bench: --rounds and --round-ms take positive numbers");
  process.exit(2);
}

let problems = 0;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

// ---- 1. builds and sizes ----------------------------------------------------------------------------------
console.log("bench: building");
const benchReport = await buildImage(benchImage());
console.log("  " + formatReport(benchReport));

const compareSource = await buildCompareBundle();
console.log(`  ${COMPARE_JS}: ${Buffer.byteLength(compareSource)} B (ours + the npm libraries + the buffer polyfill; not an image)`);

/** Minified bytes per source file of firmware/core in a bundle built like the images. */
async function coreBytes(opts: { entry?: string; stdin?: string; define?: Record<string, string> }): Promise<{ total: number; core: number; files: Record<string, number> }> {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    ...(opts.entry ? { entryPoints: [opts.entry] } : { stdin: { contents: opts.stdin!, resolveDir: ROOT, loader: "ts", sourcefile: "core-entry.ts" } }),
    outfile: "core-size.js",
    bundle: true,
    format: "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2021",
    supported: UNSUPPORTED,
    minify: true,
    legalComments: "none",
    charset: "utf8",
    metafile: true,
    write: false,
    logLevel: "silent",
    define: opts.define,
  });
  const out = Object.values(r.metafile.outputs)[0]!;
  const files: Record<string, number> = {};
  let core = 0;
  for (const [input, info] of Object.entries(out.inputs)) {
    if (!input.startsWith("firmware/core/")) continue;
    files[input.slice("firmware/core/".length)] = info.bytesInOutput;
    core += info.bytesInOutput;
  }
  return { total: r.outputFiles![0]!.contents.length, core, files };
}

const coreModules = readdirSync(join(ROOT, "firmware/core")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
const wholeCore = await coreBytes({
  stdin:
    coreModules.map((f, i) => `import * as m${i} from "./firmware/core/${f.slice(0, -3)}";`).join("\n") +
    `\n(globalThis as unknown as { core: unknown }).core = [${coreModules.map((_, i) => `m${i}`).join(", ")}];\n`,
});
const simSpec = imagesFor("sim")[0]!;
const simCore = await coreBytes({
  entry: simSpec.entry,
  define: { __BOARD__: JSON.stringify(simSpec.board), __VERSION__: JSON.stringify(VERSION) },
});
const ontargetSpec = imagesFor("ontarget")[0]!;
const ontargetCore = await coreBytes({
  entry: ontargetSpec.entry,
  define: { __BOARD__: JSON.stringify(ontargetSpec.board), __VERSION__: JSON.stringify(VERSION) },
});

// ---- 2. Node ------------------------------------------------------------------------------------------------
type Results = Map<string, Map<string, number>>; // workload -> impl -> ops/s
const nodeResults: Results = new Map();
const engineResults: Results = new Map();
const failures: string[] = [];

function record(where: "node" | "engine", results: Results, e: SuiteEvent): void {
  if (e.kind === "fail") {
    problems++;
    failures.push(`${where} ${e.workload} ${e.impl}: ${e.message}`);
    console.log(`  FAIL ${e.workload} ${e.impl}: ${e.message}`);
    return;
  }
  if (!results.has(e.workload)) results.set(e.workload, new Map());
  results.get(e.workload)!.set(e.impl, e.ops);
  console.log(`  ${e.workload.padEnd(20)} ${e.impl.padEnd(18)} ${fmt(e.ops).padStart(12)} ops/s`);
}

console.log(`\nbench: Node ${process.version} (OpenSSL ${process.versions.openssl}), ${rounds} interleaved rounds of ${nodeRoundMs} ms, median`);
runSuite(
  [...NODE_CRYPTO, ...OUR_8583_VARIANTS, ...NPM_COMPETITORS],
  { rounds, roundMs: nodeRoundMs, now: () => Date.now(), select: only ? (n) => only.test(n) : undefined },
  (e) => record("node", nodeResults, e),
);

// ---- 3. the engine ------------------------------------------------------------------------------------------
console.log(`\nbench: engine = QuickJS (quickjs-emscripten, WebAssembly; the stand-in for JerryScript), ${rounds} rounds of ${engineRoundMs} ms`);
{
  let ended = false;
  const error = await runTimed(
    compareSource,
    { benchRounds: rounds, benchRoundMs: engineRoundMs, ...(onlyText ? { benchOnly: onlyText } : {}) },
    (line) => {
      const e = parseEventLine(line);
      if (e) record("engine", engineResults, e);
      else if (line === "cmp-end") ended = true;
      else console.log(`  [engine] ${line}`);
    },
    "compare.js",
  );
  if (error || !ended) {
    problems++;
    failures.push(`engine run: ${error ?? "no cmp-end line"}`);
    console.log(`  FAIL engine run: ${error ?? "no cmp-end line"}`);
  }
}

// ---- 4. bench.js in a 64 KB engine heap -----------------------------------------------------------------
const HEAP_LIMIT = 65536;
const heapRun = await runPrintScript(readFileSync(join(ROOT, benchReport.outfile), "utf8"), {
  memoryLimitBytes: HEAP_LIMIT,
  extraGlobals: { benchBudgetMs: () => 100 },
});
const heapLines = heapRun.lines.filter((l) => l.startsWith("bench "));
const heapOk = !heapRun.error && heapLines.length === WORKLOAD_NAMES.length && heapRun.lines.some((l) => /^bench-summary \d+ ok, 0 failed$/.test(l));
// A goal, not a harness failure: the peak is reported either way.

// ---- 5. the report --------------------------------------------------------------------------------------
const NOT_NPM = new Set(["ours", "ours-hexstr", "ours-ascii87", "node:crypto", "node:crypto-keyed"]);
const GOALS: Array<{ engine: "node" | "engine"; workload: string; vs: "openssl" | "npm"; min: number }> = [
  { engine: "node", workload: "3des-ecb-block", vs: "openssl", min: 3 },
  { engine: "node", workload: "3des-ecb-block", vs: "npm", min: 2 },
  { engine: "node", workload: "x919-mac-256", vs: "openssl", min: 2.5 },
  { engine: "node", workload: "sm4-block", vs: "openssl", min: 5 },
  { engine: "node", workload: "sm4-block", vs: "npm", min: 6 },
  { engine: "node", workload: "tlv-parse-f55", vs: "npm", min: 10 },
  { engine: "node", workload: "iso8583-pack-sale", vs: "npm", min: 10 },
  { engine: "node", workload: "iso8583-unpack-sale", vs: "npm", min: 10 },
  { engine: "engine", workload: "3des-ecb-block", vs: "npm", min: 2 },
  { engine: "engine", workload: "x919-mac-256", vs: "npm", min: 2 },
  { engine: "engine", workload: "sm4-block", vs: "npm", min: 3 },
  { engine: "engine", workload: "tlv-parse-f55", vs: "npm", min: 20 },
  { engine: "engine", workload: "iso8583-pack-sale", vs: "npm", min: 10 },
  { engine: "engine", workload: "iso8583-unpack-sale", vs: "npm", min: 10 },
];

function bestNpm(m: Map<string, number> | undefined): [string, number] | undefined {
  let best: [string, number] | undefined;
  for (const [impl, ops] of m ?? []) if (!NOT_NPM.has(impl) && (!best || ops > best[1])) best = [impl, ops];
  return best;
}
function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}
const x = (r: number | undefined) => (r === undefined ? "-" : `${r.toFixed(r >= 100 ? 0 : 1)}x`);

const goalLines: string[] = [];
let met = 0;
let total = 0;
function table(where: "node" | "engine", results: Results, title: string): void {
  console.log(`\n${title}`);
  const head = ["workload", "ours ops/s", "node:crypto", "ours/ossl", "best npm (library)", "ours/npm", "goal"];
  const rows: string[][] = [head];
  for (const w of WORKLOAD_NAMES) {
    const m = results.get(w);
    if (!m) continue;
    const ours = m.get("ours");
    const ossl = m.get("node:crypto");
    const npm = bestNpm(m);
    const goals: string[] = [];
    for (const g of GOALS.filter((g) => g.engine === where && g.workload === w)) {
      const r = g.vs === "openssl" ? ratio(ours, ossl) : ratio(ours, npm?.[1]);
      const ok = r !== undefined && r >= g.min;
      total++;
      if (ok) met++;
      const text = `${g.vs === "openssl" ? "ossl" : "npm"} >=${g.min}x ${ok ? "met" : "MISSED"}`;
      goals.push(text);
      goalLines.push(`${where.padEnd(6)} ${w.padEnd(20)} ${(g.vs === "openssl" ? "vs node:crypto" : "vs best npm").padEnd(15)} >= ${g.min}x: ${x(r).padStart(6)} ${ok ? "met" : "MISSED"}`);
    }
    rows.push([
      w,
      ours === undefined ? "-" : fmt(ours),
      ossl === undefined ? (where === "node" && w === "sm4-block" && !NODE_HAS_SM4 ? "no sm4" : "-") : fmt(ossl),
      x(ratio(ours, ossl)),
      npm ? `${fmt(npm[1])} (${npm[0]})` : "-",
      x(ratio(ours, npm?.[1])),
      goals.join(", "),
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log("  " + r.map((c, i) => (i === 0 || i === 4 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  console.log("  every implementation (ours/it):");
  for (const w of WORKLOAD_NAMES) {
    const m = results.get(w);
    if (!m) continue;
    const ours = m.get("ours");
    const parts = [...m].filter(([impl]) => impl !== "ours").map(([impl, ops]) => `${impl} ${fmt(ops)} (${x(ratio(ours, ops))})`);
    console.log(`    ${w.padEnd(20)} ${parts.join(", ")}`);
  }
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
console.log(`\n===== bench report (ops/s = median of ${rounds} interleaved rounds; ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load ${load}) =====`);
table("node", nodeResults, `Node ${process.version}, node:crypto = OpenSSL ${process.versions.openssl} (createCipheriv per call)`);
table("engine", engineResults, "Engine: QuickJS (quickjs-emscripten, WebAssembly) standing in for JerryScript; node:crypto does not exist there");

console.log("\nNotes");
console.log("  3des-ecb-block: 16-byte key (des-ede-ecb); x919-mac-256: 256 B, DES halves, pad 1; cup-ecb-mac-200: the first 200 B");
console.log("    of the sale's MAC input (the fixture sale is 297 B), no goal set in the issue.");
console.log("  npm: des.js and crypto-js keyed once (reused instances), sm-crypto per call (its API), X9.19 and the CUP MAC composed with the same JS glue.");
console.log(`  8583: ours = CUP dialect (${packedSale().length} B sale), b fields as bytes; iso_8583 cannot express CUP (BCD, binary fields) and packs`);
console.log(`    its ASCII 1987 layout (${iso8583PackedLength()} B); ours-hexstr = b fields as hex strings, ours-ascii87 = our codec on the ASCII 1987 dialect.`);

console.log("\nSize (minified like the images)");
const coreFiles = Object.entries(wholeCore.files)
  .sort((a, b) => b[1] - a[1])
  .map(([f, n]) => `${f} ${n}`)
  .join(", ");
const sizeOk = wholeCore.core <= 24 * 1024;
console.log(`  firmware/core, every module: ${wholeCore.core} B (${kb(wholeCore.core)}) -> goal <= 24 KB ${sizeOk ? "met" : "MISSED"}`);
console.log(`    by file: ${coreFiles}`);
console.log(`  firmware/core used by dist/bench/bench.js: ${benchReport.areas["firmware/core"] ?? 0} B (${kb(benchReport.areas["firmware/core"] ?? 0)}) of ${benchReport.bytes} B`);
console.log(`  firmware/core in the sim firmware image (${simSpec.outfile}): ${simCore.core} B of ${simCore.total} B`);
console.log(`  firmware/core in the on-target test bundle (${ontargetSpec.outfile}): ${ontargetCore.core} B (${kb(ontargetCore.core)}) of ${ontargetCore.total} B`);

console.log(`\nHeap: dist/bench/bench.js in QuickJS with a ${HEAP_LIMIT} B limit (print-runner, 100 ms per workload)`);
console.log(`  ${heapOk ? "completed" : "stopped"}: ${heapRun.error ? heapRun.error.split("\n")[0] : heapRun.lines.join(" | ")}`);
console.log(`  peak ${heapRun.peakBytes} B (${kb(heapRun.peakBytes)}) above the empty engine (QuickJS "memory used", code included;`);
console.log("  the limit is enforced on that sampled figure, since this QuickJS build's own limit counts 8 B per block)");

console.log("\nGoals");
for (const l of goalLines) console.log("  " + l);
console.log(`  size   firmware/core <= 24 KB: ${kb(wholeCore.core)} ${sizeOk ? "met" : "MISSED"}`);
console.log(
  `  heap   bench.js in a 64 KB engine heap: ${heapOk ? "met" : "MISSED"} (peak ${kb(heapRun.peakBytes)} in QuickJS, code included)`,
);
console.log(`  speed goals met: ${met} of ${total}`);
if (failures.length) {
  console.log("\nProblems");
  for (const f of failures) console.log("  " + f);
}
process.exit(problems ? 1 : 0);
