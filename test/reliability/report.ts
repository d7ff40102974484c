/**
 * The reliability report (issue #10): each campaign test records its figures as one section, written as a JSON
 * fragment under dist/reports/reliability/; `npm test` (test/run.ts) assembles them into dist/reports/reliability.md.
 * Fragments are written by the test that measured them, so the report only ever shows figures of a real run.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";

export const REPORT_DIR = join(ROOT, "dist", "reports");
const FRAGMENTS = join(REPORT_DIR, "reliability");

export interface ReliabilitySection {
  /** Orders the sections: "1-power-cuts", "2-network", "3-fuzz", "4-secrets", "5-updates". */
  part: string;
  title: string;
  /** A table: the first row is the header. */
  table?: Array<Array<string | number>>;
  /** Plain lines under the table (what was run, how, what is left out). */
  notes?: string[];
}

export function recordReliability(s: ReliabilitySection): void {
  mkdirSync(FRAGMENTS, { recursive: true });
  writeFileSync(join(FRAGMENTS, `${s.part}.json`), JSON.stringify({ ...s, at: new Date().toISOString() }, null, 1));
}

function cell(v: string | number): string {
  return String(v).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Assembles dist/reports/reliability.md from the fragments present; returns its path, or undefined when none. */
export function assembleReliabilityReport(): string | undefined {
  let names: string[];
  try {
    names = readdirSync(FRAGMENTS).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const out: string[] = ["# Reliability and security campaign", "", "Written by `npm test` from the figures of the tests that ran (test/reliability/report.ts).", ""];
  for (const n of names) {
    const s = JSON.parse(readFileSync(join(FRAGMENTS, n), "utf8")) as ReliabilitySection & { at: string };
    out.push(`## ${s.title}`, "", `_measured ${s.at}_`, "");
    if (s.table && s.table.length) {
      const [head, ...rows] = s.table;
      out.push(`| ${head!.map(cell).join(" | ")} |`, `|${head!.map(() => " --- ").join("|")}|`);
      for (const r of rows) out.push(`| ${r.map(cell).join(" | ")} |`);
      out.push("");
    }
    for (const l of s.notes ?? []) out.push(`- ${l}`);
    if (s.notes?.length) out.push("");
  }
  const path = join(REPORT_DIR, "reliability.md");
  writeFileSync(path, out.join("\n"));
  return path;
}
