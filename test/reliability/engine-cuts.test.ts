/**
 * Power cuts inside the embedded engine (issue #10): the sim image with the terminal app in QuickJS, its flash
 * torn at a seeded flash operation during a sale, a void or a settlement (boards/sim/devices/flash.ts scheduleCut:
 * the write lands in part, the engine dies with E_POWER_OFF and boots again on the same flash), then the app's own
 * boot recovery plus `recover`, and the invariants against the built-in host's ledger over real TCP:
 * nothing pending, each trace once at the host, what the operator saw approved is counted on both sides, what
 * is counted at the host is counted in the journal and the reverse, the next STAN beyond every STAN the host saw.
 * The fast Node campaign (cuts.test.ts) runs the same firmware code for thousands of cuts; this is its sample in
 * the real engine. CUTS=N sets the number of cuts (default 60).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadJson, startSession, type Session, type TerminalConfig } from "../../boards/sim/script/session.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { rng } from "../support.ts";
import { recordReliability } from "./report.ts";

const CUTS = Number(process.env.CUTS ?? 60);
const config = loadJson<TerminalConfig>("examples/terminal-config.json");
const CARD = TEST_CARDS.magstripe; // stripe only (service code 120): no chip-first refusal

interface Rec { stan: number; kind: string; state: string; amount: number; batch: number }

async function journal(s: Session): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let offset = 0; ; ) {
    const j = await s.world.agent.call("journal", { offset, limit: 6 });
    for (const r of j.records) out.push({ stan: Number(r.stan), kind: r.kind, state: r.state, amount: Number(r.amount), batch: Number(r.batch) });
    offset += j.records.length;
    if (offset >= j.total || j.records.length === 0) return out;
  }
}

const COUNTED = new Set(["approved", "voided", "uploaded"]);

/** A call made while the app's own boot work (recovery, auto sign-in) may still hold the terminal: retried, the clock free meanwhile. */
async function callWhenFree(s: Session, op: string, args: Record<string, unknown> = {}): Promise<any> {
  const a = s.world.agent;
  for (let i = 0; ; i++) {
    try {
      return await a.call(op, args);
    } catch (e) {
      if ((e as { code?: string }).code !== "E_TERMINAL_BUSY" || i > 200) throw e;
      await a.during(new Promise((ok) => setTimeout(ok, 25)));
    }
  }
}

/** Checks; returns how many sales and voids both sides count in the open batch. */
async function checkInvariants(s: Session, seenApproved: Map<number, number>, where: string): Promise<number> {
  const a = s.world.agent;
  const st = await a.call("state");
  assert.is(st.reversalPending, null, `${where}: reversal still pending`);
  assert.is(st.settlement, null, `${where}: settlement left half done`);
  const recs = await journal(s);
  assert.ok(!recs.some((r) => r.state === "pending"), `${where}: a pending journal record: ${JSON.stringify(recs.filter((r) => r.state === "pending"))}`);
  const all = s.builtIn!.ledger.entries({ terminalId: config.terminalId });
  const host = all.filter((e) => Number(e.batch) === st.batch && (e.kind === "sale" || e.kind === "void"));
  const stans = new Set<number>();
  for (const e of all) {
    const k = `${e.batch}/${e.stan}`;
    assert.ok(!stans.has(Number(e.stan) * 1000 + Number(e.batch)), `${where}: trace ${k} twice at the host`);
    stans.add(Number(e.stan) * 1000 + Number(e.batch));
    assert.ok(Number(e.stan) < st.nextStan || st.nextStan < 10, `${where}: the host saw trace ${e.stan}, the next STAN is ${st.nextStan}`);
  }
  const hostCounted = new Map(host.filter((e) => COUNTED.has(e.state)).map((e) => [Number(e.stan), e]));
  const termCounted = new Map(recs.filter((r) => (r.kind === "sale" || r.kind === "void") && COUNTED.has(r.state)).map((r) => [r.stan, r]));
  for (const [stan, e] of hostCounted) assert.ok(termCounted.has(stan), `${where}: the host counts ${e.kind} ${stan} (${e.state}), the journal does not: ${JSON.stringify(recs.find((r) => r.stan === stan))}`);
  for (const [stan, r] of termCounted) {
    const e = hostCounted.get(stan);
    assert.ok(e, `${where}: the journal counts ${r.kind} ${stan} (${r.state}), the host does not`);
    assert.is(e!.amount, r.amount, `${where}: amount of ${stan}`);
  }
  for (const [stan, batch] of seenApproved) if (batch === st.batch) assert.ok(termCounted.has(stan), `${where}: sale ${stan} was shown approved and is no longer counted`);
  return termCounted.size;
}

test(`${CUTS} power cuts in the engine during sales, voids and settlements: recovered, host and terminal agree`, async () => {
  const s = await startSession({ config, engine: { maxBoots: CUTS * 3 + 20 } });
  const a = s.world.agent;
  s.useCard({ pan: CARD.pan, track2: CARD.track2, pin: CARD.pin });
  const r = rng(0x5eed);
  const seenApproved = new Map<number, number>();
  const approved: number[] = [];
  const phases: Record<string, { cuts: number; torn: number }> = {};
  let boots = 1;
  let ops = 0;
  const started = Date.now();
  try {
    await a.call("operatorSignIn", { no: config.operator!.no, password: config.operator!.password });
    await a.call("signIn");
    for (let cut = 0; cut < CUTS; ) {
      const roll = r();
      const op = roll < 0.1 ? "settle" : roll < 0.35 && approved.length ? "void" : "sale";
      // Most flash operations of one transaction fall within its first dozen; a cut past the end disarms itself below.
      const at = 1 + Math.floor(r() * (op === "settle" ? 16 : 10));
      const landed = Math.floor(r() * 48);
      s.world.flash.scheduleCut({ atOperation: at, landedBytes: landed });
      const bootsBefore = a.boots;
      ops++;
      let result: any;
      try {
        if (op === "sale") result = await a.call("sale", { amount: 100 + Math.floor(r() * 9000), card: { swipe: true }, pin: true });
        else if (op === "void") result = await a.call("void", { trace: approved.splice(Math.floor(r() * approved.length), 1)[0], supervisorPassword: config.supervisorPassword, pin: false });
        else result = await a.call("settle", { supervisorPassword: config.supervisorPassword });
      } catch (e) {
        if ((e as { code?: string }).code !== "E_AGENT_GONE") result = { error: (e as Error).message };
      }
      s.world.flash.scheduleCut({ atOperation: 1e12 }); // disarmed
      if (a.boots !== bootsBefore || result === undefined) {
        // The cut happened: the engine boots again on the same flash; its boot recovers, then we ask once more.
        cut++;
        boots++;
        const p = (phases[op] ??= { cuts: 0, torn: 0 });
        p.cuts++;
        if (landed > 0) p.torn++;
        await a.whenReady();
        await callWhenFree(s, "operatorSignIn", { no: config.operator!.no, password: config.operator!.password });
        const st = await callWhenFree(s, "state");
        if (st.settlement) await callWhenFree(s, "settle", { supervisorPassword: config.supervisorPassword });
        if (!st.signedIn) await callWhenFree(s, "signIn");
        await callWhenFree(s, "recover");
        await checkInvariants(s, seenApproved, `after cut ${cut} (${op}, flash op ${at}, ${landed} B landed)`);
      } else if (op === "sale" && result?.status === "approved") {
        const stan = Number(result.record.stan);
        seenApproved.set(stan, Number(result.record.batch));
        approved.push(stan);
      } else if (op === "settle" && result?.newBatch !== undefined) approved.length = 0;
    }
    const counted = await checkInvariants(s, seenApproved, "before the final settlement");
    assert.ok(counted > 0 && seenApproved.size > 0, `the workload approved sales (${seenApproved.size}; ${counted} counted in the open batch)`);
    const settled = await a.call("settle", { supervisorPassword: config.supervisorPassword });
    assert.ok(settled.balanced, `the final settlement balanced with the host (code ${settled.code}, batch ${settled.batch})`);
  } finally {
    await s.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const rows = Object.entries(phases).map(([k, v]) => [k, v.cuts, v.torn, v.cuts]);
  const total = rows.reduce((n, x) => n + (x[1] as number), 0);
  recordReliability({
    part: "1b-engine-cuts",
    title: "Power cuts in the embedded engine (QuickJS, the sim image with the terminal app)",
    table: [["operation", "cuts", "cuts with part of the write landed (1..47 B)", "survived (invariants held)"], ...rows, ["all", total, rows.reduce((n, x) => n + (x[2] as number), 0), total]],
    notes: [
      `${total} cuts over ${ops} operations (seeded, CUTS=${CUTS}), ${boots} boots, ${seconds.toFixed(1)} s; after each: the app's boot recovery, an interrupted settlement resumed, recover(), then the invariants against the host's ledger.`,
      "Invariants: no reversal or settlement pending, no pending journal record, one host entry per batch/trace, the next STAN beyond every trace the host saw, sales and voids counted at the host <-> counted in the journal with the same amount, every sale shown approved still counted.",
    ],
  });
  assert.is(total, CUTS);
});

test.run();
