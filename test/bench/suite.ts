/**
 * One comparison run (engine code, no I/O): for each workload, ours and the other implementations given,
 * their results cross-checked against ours (an implementation that disagrees is reported and not timed),
 * then timed in interleaved rounds (measure.ts `compare`). Both the Node side of `npm run bench` and the
 * engine-side bundle (npm-main.ts) run this, so both engines measure the same way.
 */
import { compare } from "./measure";
import { OUR_WORKLOADS, type Implementation } from "./workloads";

export interface SuiteOptions {
  rounds: number;
  roundMs: number;
  now: () => number;
  /** Only these workloads (default all). */
  select?: (name: string) => boolean;
}

/** What the suite reports, line by line (the engine prints these; Node collects them). */
export type SuiteEvent =
  | { kind: "ops"; workload: string; impl: string; ops: number }
  | { kind: "fail"; workload: string; impl: string; message: string };

function describeError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err && err.code ? err.code + " " : ""}${err && err.message ? err.message : String(e)}`;
}

export function runSuite(others: readonly Implementation[], opts: SuiteOptions, emit: (e: SuiteEvent) => void): void {
  for (const w of OUR_WORKLOADS) {
    if (opts.select && !opts.select(w.name)) continue;
    const names: string[] = [];
    const ops: Array<() => void> = [];
    let ref: string;
    try {
      const ours = w.make();
      const problem = ours.verify();
      if (problem) {
        emit({ kind: "fail", workload: w.name, impl: "ours", message: problem });
        continue;
      }
      ref = ours.result();
      names.push("ours");
      ops.push(ours.op);
    } catch (e) {
      emit({ kind: "fail", workload: w.name, impl: "ours", message: describeError(e) });
      continue;
    }
    for (const o of others) {
      if (o.workload !== w.name) continue;
      try {
        const b = o.make();
        const r = b.result();
        if (r !== ref) {
          emit({ kind: "fail", workload: w.name, impl: o.impl, message: `result differs from ours: ${r} (ours ${ref})` });
          continue;
        }
        names.push(o.impl);
        ops.push(b.op);
      } catch (e) {
        emit({ kind: "fail", workload: w.name, impl: o.impl, message: describeError(e) });
      }
    }
    const rates = compare(ops, opts);
    for (let i = 0; i < names.length; i++) emit({ kind: "ops", workload: w.name, impl: names[i]!, ops: Math.round(rates[i]!) });
  }
}

/** The line form of an event (`cmp <workload> <impl> <ops>` / `cmp-fail <workload> <impl> <message>`). */
export function eventLine(e: SuiteEvent): string {
  return e.kind === "ops" ? `cmp ${e.workload} ${e.impl} ${e.ops}` : `cmp-fail ${e.workload} ${e.impl} ${e.message}`;
}

/** Parses an eventLine back (undefined for other lines). */
export function parseEventLine(line: string): SuiteEvent | undefined {
  const m = /^cmp (\S+) (\S+) (\d+)$/.exec(line);
  if (m) return { kind: "ops", workload: m[1]!, impl: m[2]!, ops: Number(m[3]) };
  const f = /^cmp-fail (\S+) (\S+) (.*)$/.exec(line);
  if (f) return { kind: "fail", workload: f[1]!, impl: f[2]!, message: f[3]! };
  return undefined;
}
