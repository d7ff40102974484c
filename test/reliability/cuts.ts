/**
 * The power-cut campaign in Node's fast mode (issue #10): a seeded workload (workload.ts) runs against the real
 * acquirer host; before each operation a cut is scheduled at a seeded-random flash operation within the range that
 * kind of operation has been seen to use, tearing it (nothing of it lands, all of it, or a seeded-random part).
 * When the cut fires the boot is dead (every further flash write of it fails), a new Terminal is built on the same
 * flash, recovers (sign-in when needed, recover(), an interrupted settlement finished) — itself cut now and then —
 * and the invariants are checked (workload.ts checkInvariants). Each cut is counted per phase: the operation it
 * interrupted, and compaction / reversal / advice upload / batch upload / recovery when those were running.
 */
import { rng } from "../support.ts";
import { checkInvariants, bringUp, codeOf, newModel, nextPlan, recoverAll, relWorld, runStep, type Model, type RelWorld } from "./workload.ts";

export interface PhaseCount {
  cuts: number;
  torn: number;
  survived: number;
}

export interface CutCampaign {
  seed: number;
  cuts: number;
  /** Cuts that tore a write: some but not all of the operation's bytes landed. */
  torn: number;
  survived: number;
  /** Operations run (with and without a cut). */
  ops: number;
  worlds: number;
  settlements: number;
  uploads: number;
  phases: Record<string, PhaseCount>;
  violations: string[];
  seconds: number;
}

export interface CampaignOptions {
  seed: number;
  /** Stop after this many cuts. */
  cuts: number;
  /** A fresh world (host, terminal, flash) after this many operations (keeps the host's ledger small). */
  opsPerWorld?: number;
  /** Parameter records written first so the flash log is full and compaction runs all along (0: off). */
  fillStore?: number;
  /** Probability that recovery itself is cut once. */
  recoveryCut?: number;
  /** Stop at the first violation. */
  stopOnViolation?: boolean;
  onProgress?(c: CutCampaign): void;
}

const PHASE_ORDER = ["sale", "void", "refund", "preAuth", "completion", "preAuthCancel", "balance", "offlineSale", "settlement", "batch upload", "reversal", "advice upload", "compaction", "recovery"];

export function phaseTable(c: CutCampaign): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [["phase", "cuts", "cuts that tore a write", "survived (invariants held)"]];
  const names = Object.keys(c.phases).sort((a, b) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99));
  for (const n of names) rows.push([n, c.phases[n]!.cuts, c.phases[n]!.torn, c.phases[n]!.survived]);
  rows.push(["all (each cut once)", c.cuts, c.torn, c.survived]);
  return rows;
}

export async function cutCampaign(o: CampaignOptions): Promise<CutCampaign> {
  const t0 = performance.now();
  const rnd = rng(o.seed);
  const c: CutCampaign = { seed: o.seed, cuts: 0, torn: 0, survived: 0, ops: 0, worlds: 0, settlements: 0, uploads: 0, phases: {}, violations: [], seconds: 0 };
  const perWorld = o.opsPerWorld ?? 150;
  // Highest number of flash operations seen per kind of operation (cuts are placed within it).
  const span: Record<string, number> = {};
  let w: RelWorld | undefined;
  let m: Model = newModel();
  let worldOps = 0;
  const count = (phase: string, torn: boolean, ok: boolean) => {
    const p = (c.phases[phase] ??= { cuts: 0, torn: 0, survived: 0 });
    p.cuts++;
    if (torn) p.torn++;
    if (ok) p.survived++;
  };
  try {
    while (c.cuts < o.cuts) {
      if (!w || worldOps >= perWorld) {
        if (w) {
          c.settlements += m.settled;
          c.uploads += m.uploads;
          await w.host.close();
        }
        w = await relWorld({ fillStore: o.fillStore ?? 0 });
        m = newModel();
        c.worlds++;
        worldOps = 0;
      }
      const plan = nextPlan(rnd);
      const room = span[plan.kind] ?? 12;
      const at = 1 + Math.floor(rnd() * (room + 2));
      const r = rnd();
      const fraction = r < 0.15 ? 0 : r < 0.3 ? 1 : 0.05 + rnd() * 0.9;
      const opsBefore = w.t.flash.operations;
      w.flash.cutAt(at, fraction);
      worldOps++;
      c.ops++;
      let err: unknown;
      try {
        await runStep(w, m, plan, rnd);
      } catch (e) {
        err = e;
      }
      const cut = w.flash.fired;
      w.flash.cancel();
      if (!cut) {
        if (err) throw err; // not a cut: a failure of the campaign or a violation found by the step
        span[plan.kind] = Math.max(room, w.t.flash.operations - opsBefore);
        // What the operator does when the terminal asks for it: sign in again, settle again.
        const st = w.t.terminal.state();
        let v: string[] = [];
        if (!st.signedIn || st.settlement || st.reversalPending || m.settling || m.mismatchBatch) {
          try {
            await bringUp(w, m);
          } catch (e) {
            v = [`operator's recovery failed: ${codeOf(e)} ${(e as Error).message}`];
          }
        }
        if (!v.length) v = checkInvariants(w, m, true);
        if (v.length) {
          c.violations.push(`seed ${o.seed} op ${c.ops} (${plan.kind}, no cut): ${v.join("; ")}`);
          if (o.stopOnViolation) break;
          await w.host.close();
          w = undefined;
        }
        continue;
      }
      if (err && codeOf(err) !== "E_POWER_OFF") c.violations.push(`seed ${o.seed} op ${c.ops} (${plan.kind}): the cut surfaced as ${codeOf(err)} ${(err as Error).message}`);
      const torn = cut.landed > 0 && cut.landed < cut.length;
      const phases = [plan.kind, ...cut.tags];
      c.cuts++;
      if (torn) c.torn++;
      // Power back, maybe cut again while recovering.
      let v: string[] = [];
      try {
        w.flash.powerOn();
        w.t = w.t.reboot();
        const st = w.t.terminal.state();
        if (st.settlement && st.settlement.phase !== "started" && st.settlement.phase !== "result" && st.settlement.phase !== "closing") phases.push("batch upload");
        if (rnd() < (o.recoveryCut ?? 0.2)) {
          w.flash.cutAt(1 + Math.floor(rnd() * 10), rnd());
          let rerr: unknown;
          try {
            await bringUp(w, m);
          } catch (e) {
            rerr = e;
          }
          const rc = w.flash.fired;
          w.flash.cancel();
          if (rc) {
            c.cuts++;
            const rtorn = rc.landed > 0 && rc.landed < rc.length;
            if (rtorn) c.torn++;
            await recoverAll(w, m);
            const rv = checkInvariants(w, m);
            count("recovery", rtorn, rv.length === 0);
            for (const t of rc.tags) count(t, rtorn, rv.length === 0);
            if (rv.length === 0) c.survived++;
          } else if (rerr) throw rerr;
        } else await bringUp(w, m);
        v = checkInvariants(w, m);
      } catch (e) {
        v = [`recovery failed: ${codeOf(e)} ${(e as Error).message}`];
      }
      for (const p of phases) count(p, torn, v.length === 0);
      if (v.length === 0) c.survived++;
      else {
        if (process.env.CUTS_DEBUG) console.log(w.host.events.format?.() ?? "", w.t.logs.slice(-30).join("\n"));
        c.violations.push(`seed ${o.seed} op ${c.ops} (${plan.kind} cut at flash op ${at} of ${room}, ${cut.op} ${cut.landed}/${cut.length} B, ${phases.join("+")}): ${v.join("; ")}`);
        if (o.stopOnViolation) break;
        await w.host.close();
        w = undefined; // a broken world is not reused
      }
      if (o.onProgress && c.cuts % 500 === 0) o.onProgress({ ...c, seconds: (performance.now() - t0) / 1000 });
    }
  } finally {
    if (w) {
      c.settlements += m.settled;
      c.uploads += m.uploads;
      await w.host.close();
    }
  }
  c.seconds = (performance.now() - t0) / 1000;
  return c;
}
