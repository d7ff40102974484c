/**
 * The reliability campaign's world and workload (issue #10), Node fast mode: the batch tests' world
 * (test/unit/batch/batch-world.ts: the real acquirer host on 127.0.0.1, the Terminal's engine code over a RAM flash
 * that power cuts tear, a link that can go down) plus what the campaign needs around it:
 *  - a flash observer: the cut this harness schedules is recorded (which operation, how many of its bytes landed,
 *    whether compaction / a reversal / an upload was on the stack), and once power is off every further flash write
 *    of that boot fails like the cut one (the board is dead: nothing written after a cut may reach flash);
 *  - sockets whose read timeouts run `timeScale` times faster (the terminal's 5 s minimum response timeout costs
 *    250 ms at 0.05), so a timeout-driven reversal does not cost seconds of real time;
 *  - a host observer: the highest STAN the host ever saw from the terminal, every 94 (trace reused) it answered;
 *  - a seeded workload generator (sale, void, refund, pre-auth, completion, pre-auth cancel, balance, offline sale,
 *    settlement — sometimes with a settlement mismatch that forces the batch upload — with the host sometimes
 *    dropping or corrupting the answer so reversals happen) and the model of what the operator saw;
 *  - `recoverAll` (reboot, sign in when needed, recover(), finish an interrupted settlement) and `checkInvariants`:
 *    nothing left pending, journal and host ledger agree record by record and in totals, every approval the operator
 *    saw is still counted, nothing counted twice, no STAN reused, a finished settlement balanced on both sides.
 */
import type { Socket } from "node:net";
import { DEFAULT_TERMINAL_ID } from "../../boards/sim/host/factory.ts";
import type { HostEvent } from "../../boards/sim/host/events.ts";
import type { NetSocket } from "../../hal/net/socket.ts";
import { batchTotals } from "../../firmware/txn/settlement.ts";
import { FLAG_ADVICE, type JournalRecord } from "../../firmware/txn/journal.ts";
import { batchWorld, CARDS, plain, swipe, fmt, type BatchWorld } from "../unit/batch/batch-world.ts";
import type { NodeTerminal } from "../unit/txn/node-terminal.ts";

export const SUPERVISOR = "123456";
export const pad6 = (n: number): string => String(n).padStart(6, "0");
export const codeOf = (e: unknown): string => ((e as { code?: string })?.code ?? "E_UNKNOWN") + "";

// ---- the world ---------------------------------------------------------------------------------------------

export interface CutRecord {
  /** The flash operation torn: program or erase, its length and the bytes that landed. */
  op: "program" | "erase";
  length: number;
  landed: number;
  /** Tags from what was running when power went: compaction, reversal, upload. */
  tags: string[];
}

export interface FlashWatch {
  /** Schedules a cut at the n-th flash operation from now; `fraction` of that operation's bytes reach the cells. */
  cutAt(n: number, fraction: number): void;
  /** Cancels a scheduled cut that did not fire. */
  cancel(): void;
  /** The cut of this boot, once it fired (power is off). */
  fired: CutRecord | undefined;
  /** A new boot: power is back. */
  powerOn(): void;
}

export interface HostWatch {
  /** Highest STAN of any request the host received from the terminal. */
  maxStan: number;
  /** Answers 94 (trace already used in the batch by another request). */
  reused: number;
  /** Requests seen (MTI, STAN, text) since `mark()`. */
  requests: HostEvent[];
  mark(): void;
  /** Called for every host event (tests hook fault reactions here). */
  onEvent?: (e: HostEvent) => void;
}

export interface RelWorld extends BatchWorld {
  flash: FlashWatch;
  hostWatch: HostWatch;
  timeScale: number;
}

const STACK_TAGS: Array<[RegExp, string]> = [
  [/reclaim/, "compaction"],
  [/flushReversal/, "reversal"],
  [/uploadOffline|flushAdvices/, "advice upload"],
];

function watchFlash(t: NodeTerminal): FlashWatch {
  const f = t.flash;
  const program = f.program.bind(f);
  const erase = f.erase.bind(f);
  let target = 0;
  let fraction = 0.5;
  const w: FlashWatch = {
    fired: undefined,
    cutAt(n, frac) {
      target = f.operations + n;
      fraction = frac;
    },
    cancel() {
      target = 0;
    },
    powerOn() {
      w.fired = undefined;
    },
  };
  const off = () => Object.assign(new Error("E_POWER_OFF: power is off"), { code: "E_POWER_OFF" });
  const note = (op: "program" | "erase", length: number) => {
    if (target === 0 || f.operations + 1 !== target) return;
    target = 0;
    const stack = new Error().stack ?? "";
    const landed = Math.min(length, Math.floor(fraction * length));
    // SimFlash tears THIS operation: `landed` bytes reach the cells, then CuttingFlash reports the power cut.
    f.scheduleCut({ atOperation: 1, landedBytes: landed });
    w.fired = { op, length, landed, tags: STACK_TAGS.filter(([re]) => re.test(stack)).map(([, tag]) => tag) };
  };
  f.program = (o: number, d: Uint8Array) => {
    if (w.fired) throw off();
    note("program", d.length);
    program(o, d);
  };
  f.erase = (s: number) => {
    if (w.fired) throw off();
    note("erase", f.sectorSize);
    erase(s);
  };
  return w;
}

/** A NetSocket whose read timeouts pass `scale` times faster. */
function scaledSocket(s: NetSocket, scale: number): NetSocket {
  const ms = (t: number) => Math.max(1, Math.round(t * scale));
  return {
    write: (d) => s.write(d),
    read: (t, max) => s.read(ms(t), max),
    readExactly: (n, t) => s.readExactly(n, ms(t)),
    close: () => s.close(),
  };
}

export interface WorldOptions {
  /** Read timeouts run this many times faster (1 = real time). */
  timeScale?: number;
  /** Parameters beyond the defaults (offline floor limit 1000 fen, response timeout 5 s, 2 reversal tries). */
  params?: Record<string, unknown>;
  /** Writes this many parameter records first, so the flash log is full and every new sector needs a compaction. */
  fillStore?: number;
}

export async function relWorld(o: WorldOptions = {}): Promise<RelWorld> {
  const w = (await batchWorld({ offlineFloorLimit: 1000, responseTimeoutMs: 5000, connectTimeoutMs: 2000, reversalRetries: 2, ...(o.params ?? {}) })) as RelWorld;
  w.timeScale = o.timeScale ?? 0.05;
  const inner = w.link.connect.bind(w.link);
  w.link.connect = async (h, p, opt) => scaledSocket(await inner(h, p, opt), w.timeScale);
  w.host.accounts.setBalance(CARDS.debit.pan, 100_000_000_000);
  w.host.accounts.setBalance(CARDS.credit.pan, 100_000_000_000);
  w.flash = watchFlash(w.t);
  const hw: HostWatch = {
    maxStan: 0,
    reused: 0,
    requests: [],
    mark() {
      hw.requests = [];
    },
  };
  const push = w.host.events.push.bind(w.host.events);
  w.host.events.push = (e) => {
    const ev = push(e);
    if (ev.kind === "request" && ev.terminalId === DEFAULT_TERMINAL_ID && ev.stan) {
      hw.maxStan = Math.max(hw.maxStan, Number(ev.stan));
      hw.requests.push(ev);
    }
    if (ev.kind === "response" && ev.code === "94") hw.reused++;
    hw.onEvent?.(ev);
    return ev;
  };
  w.hostWatch = hw;
  for (let i = 0; i < (o.fillStore ?? 0); i++) w.t.terminal.configure({});
  return w;
}

// ---- the workload ------------------------------------------------------------------------------------------

export type OpKind = "sale" | "void" | "refund" | "preAuth" | "completion" | "preAuthCancel" | "completionVoid" | "balance" | "offlineSale" | "settlement";

const WEIGHTS: Array<[OpKind, number]> = [
  ["sale", 30],
  ["void", 8],
  ["refund", 6],
  ["preAuth", 8],
  ["completion", 6],
  ["preAuthCancel", 3],
  ["balance", 5],
  ["offlineSale", 10],
  ["settlement", 4],
];
const WEIGHT_SUM = WEIGHTS.reduce((a, [, n]) => a + n, 0);

/** What the operator saw, across boots. */
export interface Model {
  /** "batch|stan" of every transaction the operator saw approved (refunds approved later count too). */
  approved: Map<string, OpKind>;
  /** "batch|stan" of transactions the operator saw fail (not advices): they must not end up counted. */
  failed: Set<string>;
  /** Terminal totals (host-shaped) when the last settlement began, and its batch; checked when it closes. */
  settling: { batch: number; totals: string } | undefined;
  /** A deliberate host-side mismatch is outstanding until that batch is settled (totals differ meanwhile). */
  mismatchBatch: number;
  /** Settlements finished, and those that needed the batch upload. */
  settled: number;
  uploads: number;
  ops: Record<string, number>;
}

export function newModel(): Model {
  return { approved: new Map(), failed: new Set(), settling: undefined, mismatchBatch: 0, settled: 0, uploads: 0, ops: {} };
}

export interface Plan {
  kind: OpKind;
  /** Host behaviour for this operation's own message: none, its answer dropped (timeout), or a wrong MAC. */
  fault: "none" | "drop" | "mac";
  /** Settlement only: make the host's totals disagree first (forces the batch upload). */
  mismatch: boolean;
  amount: number;
}

/** The next operation of the seeded sequence. */
export function nextPlan(rnd: () => number): Plan {
  let x = rnd() * WEIGHT_SUM;
  let kind: OpKind = "sale";
  for (const [k, n] of WEIGHTS) {
    if (x < n) {
      kind = k;
      break;
    }
    x -= n;
  }
  const f = rnd();
  const fault = kind === "settlement" || kind === "offlineSale" ? "none" : f < 0.08 ? "drop" : f < 0.11 ? "mac" : "none";
  return { kind, fault, mismatch: kind === "settlement" && rnd() < 0.5, amount: 100 + Math.floor(rnd() * 9900) };
}

const MATCH: Record<string, { mti: string; type: string }> = {
  sale: { mti: "0200", type: "22" },
  void: { mti: "0200", type: "23" },
  refund: { mti: "0220", type: "25" },
  preAuth: { mti: "0100", type: "10" },
  completion: { mti: "0200", type: "20" },
  preAuthCancel: { mti: "0100", type: "11" },
  balance: { mti: "0200", type: "01" },
};

const key = (batch: number, stan: number) => `${batch}|${stan}`;

function pick<T>(rnd: () => number, a: T[]): T | undefined {
  return a.length ? a[Math.floor(rnd() * a.length)] : undefined;
}

export interface StepResult {
  plan: Plan;
  /** approved / declined / failed (a typed error) / skipped (nothing to act on). */
  shown: "approved" | "declined" | "failed" | "skipped";
  code?: string;
}

/**
 * Runs one planned operation against the world's current terminal and updates the model with what the operator
 * saw. A power cut (E_POWER_OFF) propagates.
 */
export async function runStep(w: RelWorld, m: Model, plan: Plan, rnd: () => number): Promise<StepResult> {
  const term = w.t.terminal;
  const batch = term.state().batch;
  const journal = term.journal();
  const approvedOf = (k: JournalRecord["kind"]) => journal.filter((r) => r.kind === k && r.state === "approved" && r.batch === batch);
  m.ops[plan.kind] = (m.ops[plan.kind] ?? 0) + 1;
  let rule: string | undefined;
  const match = MATCH[plan.kind];
  if (match && plan.fault !== "none") rule = w.host.rules.add({ match, action: plan.fault === "drop" ? { drop: true } : { corruptMac: true }, times: 1 }).id;
  w.t.ped.nextPin = CARDS.debit.pin;
  const card = swipe(CARDS.debit);
  try {
    let run: (() => Promise<{ status: string; code: string; record: JournalRecord }>) | undefined;
    switch (plan.kind) {
      case "sale":
        run = () => term.sale({ amount: plan.amount, card, pin: true });
        break;
      case "balance":
        run = () => term.balance({ card, pin: true });
        break;
      case "preAuth":
        run = () => term.preAuth({ amount: plan.amount, card, pin: true });
        break;
      case "offlineSale":
        run = () => term.offlineSale({ amount: 1 + (plan.amount % 1000), card: swipe(CARDS.credit) });
        break;
      case "void": {
        const s = pick(rnd, approvedOf("sale"));
        if (s) run = () => term.voidSale(s.stan, { supervisorPassword: SUPERVISOR });
        break;
      }
      case "refund": {
        const s = pick(rnd, approvedOf("sale").filter((r) => r.rrn && r.hostDate));
        if (s) run = () => term.refund({ amount: Math.max(1, s.amount >> 2), card, original: { rrn: s.rrn, date: s.hostDate }, supervisorPassword: SUPERVISOR });
        break;
      }
      case "completion":
      case "preAuthCancel": {
        const p = pick(rnd, approvedOf("preAuth").filter((r) => !(r.flags & 1)));
        if (p && plan.kind === "completion") run = () => term.completion({ trace: p.stan, amount: p.amount });
        if (p && plan.kind === "preAuthCancel") run = () => term.preAuthCancel({ trace: p.stan, supervisorPassword: SUPERVISOR });
        break;
      }
      case "settlement":
        return await settleStep(w, m, plan);
    }
    if (!run) return { plan, shown: "skipped" };
    let out;
    try {
      out = await run();
    } catch (e) {
      if (codeOf(e) === "E_POWER_OFF") throw e;
      const rec = (e as { record?: JournalRecord }).record;
      // A refund that could not be answered stays as an advice and is re-sent: not a failure the books keep.
      if (rec && plan.kind !== "refund") m.failed.add(key(rec.batch, rec.stan));
      return { plan, shown: "failed", code: codeOf(e) };
    }
    if (out.status === "approved" && plan.kind !== "balance") m.approved.set(key(out.record.batch, out.record.stan), plan.kind);
    if (out.status !== "approved" && plan.kind !== "refund") m.failed.add(key(out.record.batch, out.record.stan));
    return { plan, shown: out.status === "approved" ? "approved" : "declined", code: out.code };
  } finally {
    if (rule) w.host.rules.remove(rule);
  }
}

async function settleStep(w: RelWorld, m: Model, plan: Plan): Promise<StepResult> {
  const term = w.t.terminal;
  const st = term.state();
  if (!st.settlement) {
    m.settling = { batch: st.batch, totals: fmt(plain(batchTotals(term.journal().filter((r) => r.batch === st.batch)))) };
    if (plan.mismatch) {
      // The host loses one approved sale from its totals (as settle-cuts.test.ts): the 0500 disagrees, the batch upload follows.
      const s = term.journal().find((r) => r.kind === "sale" && r.state === "approved" && r.batch === st.batch);
      const e = s && w.host.ledger.byStan(DEFAULT_TERMINAL_ID, pad6(st.batch), pad6(s.stan));
      if (e && e.state === "approved") {
        e.state = "declined";
        m.mismatchBatch = st.batch;
      }
    }
  }
  try {
    await finishSettlement(w, m);
  } catch (e) {
    if (codeOf(e) === "E_POWER_OFF" || e instanceof InvariantError) throw e;
    return { plan, shown: "failed", code: codeOf(e) }; // e.g. an advice answered 22: the operator signs in, settles again
  }
  return { plan, shown: "approved", code: "00" };
}

/** Settles (or resumes the settlement) and checks it against the totals frozen when it began. */
export async function finishSettlement(w: RelWorld, m: Model): Promise<void> {
  const term = w.t.terminal;
  let r;
  try {
    r = await term.settle({ supervisorPassword: SUPERVISOR });
  } catch (e) {
    // The host asked for a new sign-in (the terminal dropped its keys): the operator signs in and settles again.
    if (codeOf(e) !== "E_SETTLEMENT_DECLINED" || term.state().signedIn) throw e;
    if ((await term.signIn()).status !== "approved") throw e;
    r = await term.settle({ supervisorPassword: SUPERVISOR });
  }
  m.settled++;
  if (r.uploaded > 0) m.uploads++;
  settledCheck(w, m, r.report);
}

/** A settlement that closed: its report has the totals the journal had when it began, the host balanced it. */
function settledCheck(w: RelWorld, m: Model, report: { batch: number; terminalTotals: Parameters<typeof plain>[0] }): void {
  const r = report;
  // The report's totals are the host's for the batch (advices answered during the settlement included), unless the
  // host was made to lose a sale on purpose (then the batch upload reconciled it: the final result below).
  if (m.mismatchBatch !== r.batch) {
    const got = fmt(plain(r.terminalTotals));
    const host = fmt(w.host.ledger.totals(DEFAULT_TERMINAL_ID, pad6(r.batch)));
    if (got !== host) throw violation(`settlement of batch ${r.batch}: the report's totals ${got} are not the host's ${host}`);
  }
  const rec = w.host.ledger.batch(DEFAULT_TERMINAL_ID, pad6(r.batch));
  const fin = rec.settlement?.result ?? ["?", "?"];
  if (fin[0] !== "1" || fin[1] !== "1") throw violation(`settlement of batch ${r.batch}: the host's final result ${fin.join("")} (not balanced)`);
  if (m.mismatchBatch === r.batch) m.mismatchBatch = 0;
  m.settling = undefined;
}

export class InvariantError extends Error {
  readonly code = "E_INVARIANT";
}
function violation(msg: string): InvariantError {
  return new InvariantError(msg);
}

// ---- recovery and the invariants ---------------------------------------------------------------------------

/** Power back: a new Terminal on the same flash (and PED), signed in and recovered, an interrupted settlement finished. */
export async function recoverAll(w: RelWorld, m: Model): Promise<void> {
  w.flash.powerOn(); // before the new boot mounts the store (mounting may mark torn records dead)
  w.t = w.t.reboot();
  await bringUp(w, m);
}

/**
 * After a boot: signed in, operator in, recover(); a settlement the operator had started is finished when its batch
 * is still open (settle() again: it resumes), or checked when the cut came after it closed.
 */
export async function bringUp(w: RelWorld, m: Model): Promise<void> {
  const term = w.t.terminal;
  if (!term.state().signedIn) {
    const s = await term.signIn();
    if (s.status !== "approved") throw violation(`sign-in after the reboot answered ${s.code}`);
  }
  if (!term.state().operator) term.operatorSignIn("01", "0000");
  await term.recover();
  const st = term.state();
  if (st.settlement || m.mismatchBatch || (m.settling && m.settling.batch === st.batch)) await finishSettlement(w, m);
  else if (m.settling) {
    const last = term.lastSettlement();
    if (!last || last.batch !== m.settling.batch) throw violation(`batch ${m.settling.batch} closed without its settlement report (last: ${last ? last.batch : "none"})`);
    m.settled++;
    if (last.uploaded > 0) m.uploads++;
    settledCheck(w, m, last);
  }
}

/**
 * Returns the violations found (empty: every invariant holds). `live`: between operations, without a recovery
 * first: offline sales not uploaded yet are allowed (store-and-forward) and left out of the comparison.
 */
export function checkInvariants(w: RelWorld, m: Model, live = false): string[] {
  const v: string[] = [];
  const term = w.t.terminal;
  const st = term.state();
  const tid = DEFAULT_TERMINAL_ID;
  const batch = st.batch;
  const all = term.journal();
  // Live: advices not answered yet (offline sales, a refund whose answer was lost) wait for the next upload.
  const journal = all.filter((r) => !(live && r.flags & FLAG_ADVICE));
  // Nothing left hanging once the link is back.
  if (st.reversalPending) v.push(`a reversal is still pending: ${JSON.stringify(st.reversalPending)}`);
  if (st.pendingAdvices && !live) v.push(`${st.pendingAdvices} advices still pending`);
  if (st.offlinePending && !live) v.push(`${st.offlinePending} offline sales not uploaded`);
  if (st.settlement) v.push(`a settlement is still in progress: ${JSON.stringify(st.settlement)}`);
  // The host's batch is the terminal's.
  const ht = w.host.terminals.get(tid)!;
  if (ht.openBatch !== pad6(batch)) v.push(`the host's open batch ${ht.openBatch} is not the terminal's ${batch}`);
  // Record by record.
  const byStan = new Map<number, JournalRecord>();
  for (const r of all) byStan.set(r.stan, r);
  const stans = new Set<number>();
  for (const r of journal) {
    if (r.batch !== batch) v.push(`journal record of batch ${r.batch} in open batch ${batch}`);
    if (stans.has(r.stan)) v.push(`two journal records with STAN ${r.stan}`);
    stans.add(r.stan);
    if (r.state === "pending") v.push(`STAN ${r.stan} (${r.kind}) still pending`);
    if (r.kind === "balance") continue;
    const e = w.host.ledger.byStan(tid, pad6(batch), pad6(r.stan));
    const hostCounts = e !== undefined && e.state !== "declined" && e.state !== "reversed";
    const termCounts = r.state === "approved" || r.state === "voided" || r.state === "uploaded";
    if (termCounts !== hostCounts && m.mismatchBatch !== batch)
      v.push(`STAN ${r.stan} ${r.kind}: the terminal says ${r.state}, the host ${e ? e.state : "has no entry"}`);
    if (termCounts && e && e.amount !== r.amount) v.push(`STAN ${r.stan}: amount ${r.amount} at the terminal, ${e.amount} at the host`);
  }
  // Every approval the operator saw in the open batch is still counted; every failure shown is not.
  for (const [k, kind] of m.approved) {
    const [b, s] = k.split("|").map(Number) as [number, number];
    if (b !== batch) continue;
    const r = byStan.get(s);
    if (!r || !(r.state === "approved" || r.state === "voided" || r.state === "uploaded")) v.push(`the ${kind} STAN ${s} the operator saw approved is ${r ? r.state : "gone from the journal"}`);
  }
  for (const k of m.failed) {
    const [b, s] = k.split("|").map(Number) as [number, number];
    if (b !== batch) continue;
    const r = byStan.get(s);
    if (r && (r.state === "approved" || r.state === "voided" || r.state === "uploaded")) v.push(`STAN ${s} was shown failed but is ${r.state}`);
  }
  // Totals: nothing lost, nothing counted twice.
  if (m.mismatchBatch !== batch && journal.length === all.length) {
    const termTotals = fmt(plain(batchTotals(journal)));
    const hostTotals = fmt(w.host.ledger.totals(tid, pad6(batch)));
    if (termTotals !== hostTotals) v.push(`totals differ: terminal ${termTotals}; host ${hostTotals}`);
  }
  // One host entry per trace; no trace reused; the next STAN beyond every one the host has seen.
  const seen = new Set<string>();
  for (const e of w.host.ledger.entries({ terminalId: tid })) {
    const k2 = `${e.batch}|${e.stan}`;
    if (seen.has(k2)) v.push(`the host has two entries for batch ${e.batch} STAN ${e.stan}`);
    seen.add(k2);
  }
  if (w.hostWatch.reused) v.push(`the host answered 94 (trace reused) ${w.hostWatch.reused} times`);
  if (st.nextStan <= w.hostWatch.maxStan) v.push(`next STAN ${st.nextStan} is not beyond ${w.hostWatch.maxStan}, already seen by the host`);
  return v;
}
