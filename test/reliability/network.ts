/**
 * The network-fault matrix (issue #10), Node fast mode: for every message type x every fault, one cell on a fresh
 * world (workload.ts: real host on 127.0.0.1, the Terminal's engine code, scaled read timeouts):
 *   prepare (what the message needs: a sale to void, a pre-auth to complete, an offline sale to upload, a batch
 *   the host disagrees with ...) -> the fault armed for that message only -> the operation that sends it (what the
 *   operator saw is kept) -> the network recovers (rules gone, link up, host listening) -> recovery (sign-in when
 *   needed, recover(), an interrupted settlement finished) -> the invariants (journal, reversal store, STAN, host
 *   ledger agree; nothing counted twice; every reversal applied at most once; approvals seen are counted, failures
 *   seen are not) -> the next sale is approved (one retry when the host asked for a new sign-in) -> invariants again.
 */
import type { RuleAction, RuleMatch } from "../../boards/sim/host/script.ts";
import { DEFAULT_TERMINAL_ID } from "../../boards/sim/host/factory.ts";
import { CARDS, swipe } from "../unit/batch/batch-world.ts";
import { bringUp, checkInvariants, codeOf, newModel, pad6, relWorld, SUPERVISOR, type Model, type OpKind, type RelWorld } from "./workload.ts";

export const MESSAGES = [
  "sign-in",
  "echo",
  "sale",
  "balance",
  "void",
  "refund",
  "pre-auth",
  "pre-auth cancel",
  "completion",
  "completion void",
  "reversal",
  "offline advice upload",
  "settlement",
  "batch upload",
  "sign-out",
] as const;
export type MessageType = (typeof MESSAGES)[number];

export const FAULTS = [
  "drop before send",
  "drop after send",
  "delay past timeout",
  "partial frame, silence",
  "corrupted bytes",
  "wrong MAC",
  "duplicated response",
  "other STAN",
  "disconnect mid-message",
  "host restart",
] as const;
export type Fault = (typeof FAULTS)[number];

/** Answers without a MAC (network management): "wrong MAC" does not apply. */
const NO_MAC: readonly MessageType[] = ["sign-in", "echo", "sign-out"];

const TARGET: Record<MessageType, { match: RuleMatch; mti: string }> = {
  "sign-in": { match: { mti: "0800", network: "003" }, mti: "0800" },
  echo: { match: { mti: "0820", network: "301" }, mti: "0820" },
  sale: { match: { mti: "0200", type: "22" }, mti: "0200" },
  balance: { match: { mti: "0200", type: "01" }, mti: "0200" },
  void: { match: { mti: "0200", type: "23" }, mti: "0200" },
  refund: { match: { mti: "0220", type: "25" }, mti: "0220" },
  "pre-auth": { match: { mti: "0100", type: "10" }, mti: "0100" },
  "pre-auth cancel": { match: { mti: "0100", type: "11" }, mti: "0100" },
  completion: { match: { mti: "0200", type: "20" }, mti: "0200" },
  "completion void": { match: { mti: "0200", type: "21" }, mti: "0200" },
  reversal: { match: { mti: "0400" }, mti: "0400" },
  "offline advice upload": { match: { mti: "0220", type: "30" }, mti: "0220" },
  settlement: { match: { mti: "0500" }, mti: "0500" },
  "batch upload": { match: { mti: "0320" }, mti: "0320" },
  "sign-out": { match: { mti: "0820", network: "002" }, mti: "0820" },
};

export interface CellResult {
  message: MessageType;
  fault: Fault;
  applicable: boolean;
  passed: boolean;
  /** What the operator saw, and whether the fault really hit the message. */
  shown: string;
  fired: boolean;
  problems: string[];
  ms: number;
}

/** Read timeouts pass 20x faster: the 5 s response timeout costs 250 ms; a "late" answer comes after 600 ms. */
const SCALE = 0.05;
const LATE_MS = 600;

function action(f: Fault): RuleAction | undefined {
  switch (f) {
    case "drop after send":
    case "host restart":
      return { drop: true };
    case "delay past timeout":
      return { delayMs: LATE_MS };
    case "partial frame, silence":
      return { partialHold: 20 };
    case "corrupted bytes":
      return { corruptBytes: 3 };
    case "wrong MAC":
      return { corruptMac: true };
    case "duplicated response":
      return { twice: true };
    case "other STAN":
      return { wrongStan: true };
    case "disconnect mid-message":
      return { partial: 20 };
    default:
      return undefined;
  }
}

const card = () => swipe(CARDS.debit);

async function approved(p: Promise<{ status: string; code: string; record: { stan: number } }>, what: string): Promise<{ stan: number }> {
  const o = await p;
  if (o.status !== "approved") throw new Error(`prepare: ${what} answered ${o.code}`);
  return o.record;
}

export async function runCell(message: MessageType, fault: Fault): Promise<CellResult> {
  const t0 = performance.now();
  const res: CellResult = { message, fault, applicable: !(fault === "wrong MAC" && NO_MAC.includes(message)), passed: false, shown: "", fired: false, problems: [], ms: 0 };
  if (!res.applicable) return res;
  const w: RelWorld = await relWorld({ timeScale: SCALE });
  const m: Model = newModel();
  const term = () => w.t.terminal;
  try {
    w.t.ped.nextPin = CARDS.debit.pin;
    // ---- prepare
    let run: () => Promise<unknown>;
    let kind: OpKind | undefined;
    switch (message) {
      case "sign-in":
        run = () => term().signIn();
        break;
      case "echo":
        run = () => term().echo();
        break;
      case "sign-out":
        run = () => term().signOut();
        break;
      case "sale":
      case "reversal":
        kind = "sale";
        run = () => term().sale({ amount: 1234, card: card(), pin: true });
        break;
      case "balance":
        kind = "balance";
        run = () => term().balance({ card: card(), pin: true });
        break;
      case "void": {
        const s = await approved(term().sale({ amount: 2000, card: card(), pin: true }), "sale");
        m.approved.set(`${term().state().batch}|${s.stan}`, "sale");
        kind = "void";
        run = () => term().voidSale(s.stan, { supervisorPassword: SUPERVISOR });
        break;
      }
      case "refund": {
        const s = await approved(term().sale({ amount: 3000, card: card(), pin: true }), "sale");
        m.approved.set(`${term().state().batch}|${s.stan}`, "sale");
        const r = term().inquiry(s.stan);
        kind = "refund";
        run = () => term().refund({ amount: 500, card: card(), original: { rrn: r.rrn, date: r.hostDate }, supervisorPassword: SUPERVISOR });
        break;
      }
      case "pre-auth":
        kind = "preAuth";
        run = () => term().preAuth({ amount: 5000, card: card(), pin: true });
        break;
      case "pre-auth cancel":
      case "completion": {
        const p = await approved(term().preAuth({ amount: 5000, card: card(), pin: true }), "pre-auth");
        kind = message === "completion" ? "completion" : "preAuthCancel";
        run = message === "completion" ? () => term().completion({ trace: p.stan, amount: 4800 }) : () => term().preAuthCancel({ trace: p.stan, supervisorPassword: SUPERVISOR });
        break;
      }
      case "completion void": {
        const p = await approved(term().preAuth({ amount: 5000, card: card(), pin: true }), "pre-auth");
        const c = await approved(term().completion({ trace: p.stan, amount: 5000 }), "completion");
        m.approved.set(`${term().state().batch}|${c.stan}`, "completion");
        kind = "completionVoid";
        run = () => term().completionVoid(c.stan, { supervisorPassword: SUPERVISOR });
        break;
      }
      case "offline advice upload": {
        const o = await approved(term().offlineSale({ amount: 800, card: swipe(CARDS.credit) }), "offline sale");
        m.approved.set(`${term().state().batch}|${o.stan}`, "offlineSale");
        run = () => term().uploadOffline();
        break;
      }
      case "settlement":
      case "batch upload": {
        const batch = term().state().batch;
        for (const amount of [1000, 2000]) {
          const s = await approved(term().sale({ amount, card: card(), pin: true }), "sale");
          m.approved.set(`${batch}|${s.stan}`, "sale");
        }
        if (message === "batch upload") {
          // The host loses a sale from its totals: the 0500 disagrees and the batch upload follows.
          const first = term().journal()[0]!;
          w.host.ledger.byStan(DEFAULT_TERMINAL_ID, pad6(batch), pad6(first.stan))!.state = "declined";
          m.mismatchBatch = batch;
        }
        m.settling = { batch, totals: "" };
        run = () => term().settle({ supervisorPassword: SUPERVISOR });
        break;
      }
    }
    const settling = m.settling;
    if (settling) {
      const { batchTotals } = await import("../../firmware/txn/settlement.ts");
      const { plain, fmt } = await import("../unit/batch/batch-world.ts");
      settling.totals = fmt(plain(batchTotals(term().journal())));
    }
    // ---- the fault, for the target message only
    const target = TARGET[message];
    let ruleId: string | undefined;
    if (fault === "drop before send") {
      let armed = true;
      const inner = w.link.connect.bind(w.link);
      w.link.connect = (h, p, o) => {
        const last = [...w.t.events].reverse().find((e) => e.kind === "connect");
        if (armed && last && last.mti === target.mti) {
          armed = false;
          res.fired = true;
          return Promise.reject(Object.assign(new Error("E_LINK_DOWN: connection refused (fault)"), { code: "E_LINK_DOWN" }));
        }
        return inner(h, p, o);
      };
    } else {
      const act = action(fault)!;
      ruleId = w.host.rules.add({ match: target.match, action: act, times: 1 }).id;
      if (fault === "host restart") {
        const id = ruleId;
        w.hostWatch.onEvent = (e) => {
          if (e.kind === "fault" && e.rule === id) {
            w.hostWatch.onEvent = undefined;
            void w.host.restart(300);
          }
        };
      }
    }
    // The reversal's cells: the sale's answer is lost (so the reversal goes out), the fault hits the 0400.
    if (message === "reversal") w.host.rules.add({ match: { mti: "0200", type: "22" }, action: { drop: true }, times: 1 }, true);
    // ---- the operation
    const batch = term().state().batch;
    try {
      const out = (await run()) as { status?: string; code?: string; record?: { stan: number; batch: number } } | undefined;
      res.shown = out && out.status ? `${out.status} ${out.code ?? ""}` : `answered ${out ? JSON.stringify(out).slice(0, 60) : ""}`;
      if (kind && out?.record) {
        const k = `${out.record.batch}|${out.record.stan}`;
        if (out.status === "approved" && kind !== "balance") m.approved.set(k, kind);
        if (out.status !== "approved" && kind !== "refund") m.failed.add(k);
      }
    } catch (e) {
      res.shown = `failed ${codeOf(e)}${(e as { reversal?: string }).reversal ? ` (reversal ${(e as { reversal?: string }).reversal})` : ""}`;
      const rec = (e as { record?: { stan: number; batch: number } }).record;
      if (kind && rec && kind !== "refund") m.failed.add(`${rec.batch}|${rec.stan}`);
    }
    if (ruleId) {
      const r = w.host.rules.get(ruleId);
      if (r && r.fired > 0) res.fired = true;
    }
    // ---- the network recovers
    w.host.rules.clear();
    w.link.up = true;
    for (let i = 0; i < 50 && fault === "host restart" && !(await canConnect(w)); i++) await new Promise((r) => setTimeout(r, 20));
    // ---- recovery, invariants
    await bringUp(w, m);
    res.problems.push(...checkInvariants(w, m));
    // Every reversal the host applied, at most once per original.
    const applied = new Map<string, number>();
    for (const r of w.host.ledger.reversals) if (r.outcome === "applied") applied.set(`${r.batch}|${r.stan}`, (applied.get(`${r.batch}|${r.stan}`) ?? 0) + 1);
    for (const [k, n] of applied) if (n > 1) res.problems.push(`reversal of ${k} applied ${n} times`);
    // A sale shown failed after its request reached the host is reversed there (exactly once: above).
    if (message === "sale" && res.shown.startsWith("failed")) {
      const stan = w.t.terminal.journal().find((r) => r.kind === "sale")?.stan;
      const e = stan ? w.host.ledger.byStan(DEFAULT_TERMINAL_ID, pad6(batch), pad6(stan)) : undefined;
      if (e && e.state !== "reversed" && e.state !== "declined") res.problems.push(`the sale shown failed is ${e.state} at the host`);
    }
    // ---- the next operation works
    w.t.ped.nextPin = CARDS.debit.pin;
    let next = await term().sale({ amount: 777, card: card(), pin: true });
    if (next.status !== "approved" && (next.action === "sign-in" || next.resignedIn !== undefined)) next = await term().sale({ amount: 777, card: card(), pin: true });
    if (next.status !== "approved") res.problems.push(`the next sale answered ${next.code}`);
    else m.approved.set(`${next.record.batch}|${next.record.stan}`, "sale");
    res.problems.push(...checkInvariants(w, m).map((p) => `after the next sale: ${p}`));
    if (!res.fired) res.problems.push("the fault never hit the message");
  } catch (e) {
    res.problems.push(`${codeOf(e)} ${(e as Error).stack ?? e}`);
  } finally {
    await w.host.close();
  }
  res.passed = res.problems.length === 0;
  res.ms = performance.now() - t0;
  return res;
}

async function canConnect(w: RelWorld): Promise<boolean> {
  try {
    const s = await w.link.connect("127.0.0.1", w.host.port, { timeoutMs: 200 });
    await s.close();
    return true;
  } catch {
    return false;
  }
}

/** Runs the cells `concurrency` at a time (each has its own host and terminal). */
export async function runMatrix(cells: Array<[MessageType, Fault]>, concurrency = 6): Promise<CellResult[]> {
  const out: CellResult[] = new Array(cells.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= cells.length) return;
      out[i] = await runCell(cells[i]![0], cells[i]![1]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

export function matrixTable(results: CellResult[]): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [["message", ...FAULTS, "passed / cells"]];
  for (const msg of MESSAGES) {
    const rs = results.filter((r) => r.message === msg);
    if (!rs.length) continue;
    const row: Array<string | number> = [msg];
    for (const f of FAULTS) {
      const r = rs.find((x) => x.fault === f);
      row.push(!r ? "-" : !r.applicable ? "n/a" : r.passed ? "pass" : "FAIL");
    }
    const app = rs.filter((r) => r.applicable);
    row.push(`${app.filter((r) => r.passed).length} / ${app.length}`);
    rows.push(row);
  }
  return rows;
}
