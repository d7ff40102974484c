/**
 * The power-cut campaign's long mode: `npm run reliability -- --cuts 10000 [--seed 1] [--fill 2600]`.
 * Runs cuts.ts in campaigns of 1000 cuts (seeds seed, seed+1, ...; every other one on a filled flash log so
 * compaction runs), prints progress and the per-phase table, writes dist/reports/reliability/long-cuts.json (the
 * CI test quotes it in the report) and exits 1 when an invariant failed.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cutCampaign, phaseTable, type CutCampaign } from "./cuts.ts";
import { REPORT_DIR } from "./report.ts";

const LONG = join(REPORT_DIR, "reliability-long-cuts.json");

export interface LongRun {
  cuts: number;
  torn: number;
  survived: number;
  violations: number;
  ops: number;
  settlements: number;
  seconds: number;
  seeds: string;
  at: string;
  table: Array<Array<string | number>>;
}

export function readLongRun(): LongRun | undefined {
  try {
    return JSON.parse(readFileSync(LONG, "utf8")) as LongRun;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, d: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const total = arg("cuts", 10000);
  const seed0 = arg("seed", 1);
  const fill = arg("fill", 2600);
  const t0 = performance.now();
  const runs: CutCampaign[] = [];
  let done = 0;
  for (let i = 0; done < total; i++) {
    const n = Math.min(1000, total - done);
    const c = await cutCampaign({ seed: seed0 + i, cuts: n, fillStore: i % 2 ? fill : 0 });
    runs.push(c);
    done += c.cuts;
    const surv = runs.reduce((a, r) => a + r.survived, 0);
    console.log(`seed ${c.seed}: ${c.cuts} cuts, ${c.survived} survived, ${c.violations.length} violations, ${c.seconds.toFixed(1)} s — total ${done}/${total}, ${surv} survived, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    for (const v of c.violations.slice(0, 3)) console.log(`  ${v}`);
  }
  const all: CutCampaign = { ...runs[0]!, phases: {}, cuts: 0, torn: 0, survived: 0, ops: 0, worlds: 0, settlements: 0, uploads: 0, violations: [], seconds: 0 };
  for (const c of runs) {
    for (const [k, p] of Object.entries(c.phases)) {
      const q = (all.phases[k] ??= { cuts: 0, torn: 0, survived: 0 });
      q.cuts += p.cuts;
      q.torn += p.torn;
      q.survived += p.survived;
    }
    all.cuts += c.cuts;
    all.torn += c.torn;
    all.survived += c.survived;
    all.ops += c.ops;
    all.settlements += c.settlements;
    all.uploads += c.uploads;
    all.violations.push(...c.violations);
  }
  const seconds = (performance.now() - t0) / 1000;
  const table = phaseTable(all);
  console.log(table.map((r) => r.join(" | ")).join("\n"));
  const out: LongRun = { cuts: all.cuts, torn: all.torn, survived: all.survived, violations: all.violations.length, ops: all.ops, settlements: all.settlements, seconds, seeds: `${seed0}..${seed0 + runs.length - 1}`, at: new Date().toISOString(), table };
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(LONG, JSON.stringify(out, null, 1));
  console.log(`${all.cuts} cuts, ${all.torn} tore a write, ${all.survived} survived, ${all.violations.length} violations, ${seconds.toFixed(0)} s`);
  return all.violations.length ? 1 : 0;
}

if (process.argv[1] && /reliability[\\/]cli\.ts$/.test(process.argv[1])) process.exitCode = await main(process.argv.slice(2));
