/**
 * Reversals in the embedded engine against the acquirer host over TCP:
 * - a sale whose answer comes too late: the terminal's response timeout (virtual time) -> the reversal (reason 98)
 *   goes out at once, the host applies it; the journal says reversed; the ledger shows it reversed exactly once;
 * - a sale whose answer carries a bad MAC: E_MAC_MISMATCH -> reversal with reason A0;
 * - the engine reset right after the request left (the host holding its answer back): on the next boot, with the
 *   same flash, the reversal goes out before anything else; the ledger shows the sale reversed exactly once, the
 *   next sale uses a new STAN;
 * - no link when the reversal is due: it stays pending across a reboot, a new sale is refused, then it goes out.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { startTerminal, type TerminalRun } from "./fixtures/txn-driver.ts";

const debit = TEST_CARDS.debit;
const card = { track2: debit.track2 };
let host: AcquirerHost;

// A fresh host per test: each test's terminal starts with fresh flash (STAN 1, batch 1) and would collide with the
// previous test's ledger entries (the host answers 94 to a STAN reused in a batch).
test.before.each(async () => {
  host = await createAcquirerHost();
});
test.after.each(async () => {
  await host.close();
});

async function ready(run: TerminalRun): Promise<void> {
  const a = run.agent;
  await a.call("boot");
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
  const act = await a.call("activate", { code: DEFAULT_ACTIVATION_CODE });
  assert.is(act.status, "approved", JSON.stringify(act));
  assert.is((await a.call("signIn")).status, "approved");
  await a.call("operatorSignIn", { no: "01", password: "0000" });
}

const reversalsOf = (stan: number) => host.ledger.reversals.filter((r) => r.terminalId === DEFAULT_TERMINAL_ID && Number(r.stan) === stan);
const entryOf = (stan: number, batch: number) => host.ledger.byStan(DEFAULT_TERMINAL_ID, String(batch).padStart(6, "0"), String(stan).padStart(6, "0"));

test("timeout: reversal 98 at once, applied once by the host, journal 'reversed'", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  const rule = host.rules.add({ match: { mti: "0200", type: "22", amount: 4321 }, action: { delayMs: 3000 }, times: 1 });
  const t0 = (await a.call("time")).monotonic;
  const e = await a.fails("sale", { amount: 4321, card, pin: true });
  const t1 = (await a.call("time")).monotonic;
  host.rules.remove(rule.id);
  assert.is(e.code, "E_HOST_TIMEOUT", e.message);
  assert.is(e.reversal, "sent");
  assert.is(e.record.state, "reversed");
  assert.is(e.record.reversalReason, "98");
  assert.ok(t1 - t0 >= 60000, `waited ${t1 - t0} virtual ms (response timeout 60 s)`);
  const stan = e.record.stan;
  const revs = reversalsOf(stan);
  assert.is(revs.length, 1, JSON.stringify(revs));
  assert.is(revs[0]!.reason, "98");
  assert.is(revs[0]!.outcome, "applied");
  assert.is(entryOf(stan, e.record.batch)!.state, "reversed");
  const st = await a.call("state");
  assert.is(st.reversalPending, null);
  // The next sale goes through with the next STAN.
  const ok = await a.call("sale", { amount: 100, card, pin: true });
  assert.is(ok.status, "approved");
  assert.is(ok.record.stan, stan + 1, "the reversal used the sale's own STAN");
  await run.exit();
});

test("a bad response MAC: E_MAC_MISMATCH, reversal A0, the host reverses the sale once", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  const rule = host.rules.add({ match: { mti: "0200", type: "22", amount: 777 }, action: { corruptMac: true }, times: 1 });
  const e = await a.fails("sale", { amount: 777, card, pin: true });
  host.rules.remove(rule.id);
  assert.is(e.code, "E_MAC_MISMATCH", e.message);
  assert.is(e.reversal, "sent");
  assert.is(e.record.reversalReason, "A0");
  const revs = reversalsOf(e.record.stan);
  assert.is(revs.length, 1);
  assert.is(revs[0]!.reason, "A0");
  assert.is(entryOf(e.record.stan, e.record.batch)!.state, "reversed");
  const journal: any[] = await a.call("journal");
  assert.is(journal.find((j) => j.stan === e.record.stan).state, "reversed");
  await run.exit();
});

test("reset after the request left: the reversal goes out on the next boot, before anything else, exactly once", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  const rule = host.rules.add({ match: { mti: "0200", type: "22", amount: 5555 }, action: { delayMs: 500 }, times: 1 });
  const before = await a.call("state");
  const lost = await a.fails("sale", { amount: 5555, card, pin: true, resetAfterSent: true });
  assert.is(lost.code, "E_AGENT_GONE");
  host.rules.remove(rule.id);
  // Second boot, same flash: the reversal is pending and recorded with the sale's STAN.
  await a.whenReady();
  assert.is(run.agent.boots, 2);
  const boot2 = await a.call("boot");
  assert.ok(boot2.state.reversalPending, JSON.stringify(boot2.state));
  assert.is(Number(boot2.state.reversalPending.stan), before.nextStan);
  assert.is(boot2.state.operator, null, "a reboot signs the operator out");
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
  const eventsBefore = a.events.length;
  const rec = await a.call("recover");
  assert.is(rec.reversal, "sent");
  // The first message of the new boot was the reversal (0400), nothing before it.
  const sent = a.events.slice(eventsBefore).filter((e) => e.event === "sent");
  assert.is(sent[0].mti, "0400", JSON.stringify(sent));
  const revs = reversalsOf(before.nextStan);
  assert.is(revs.length, 1, JSON.stringify(revs));
  assert.is(revs[0]!.outcome, "applied");
  assert.is(entryOf(before.nextStan, before.batch)!.state, "reversed");
  const journal: any[] = await a.call("journal");
  const j = journal.find((x) => x.stan === before.nextStan);
  assert.is(j.state, "reversed");
  // Nothing lost, the STAN not reused.
  await a.call("operatorSignIn", { no: "01", password: "0000" });
  const next = await a.call("sale", { amount: 200, card, pin: true });
  assert.is(next.status, "approved");
  assert.ok(next.record.stan > before.nextStan, `new STAN ${next.record.stan} after ${before.nextStan}`);
  // Recovering again sends nothing more: the ledger still shows one reversal.
  assert.is((await a.call("recover")).reversal, "none");
  assert.is(reversalsOf(before.nextStan).length, 1);
  await run.exit();
});

test("no link for the reversal: kept across a reboot, new sales refused until it went out", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  // The host answers too late, and the reversals find the port closed (host unreachable).
  const rule = host.rules.add({ match: { mti: "0200", type: "22", amount: 6666 }, action: { delayMs: 3000 }, times: 1 });
  const refuse = host.rules.add({ match: { mti: "0400" }, action: { disconnect: "before" } });
  const e = await a.fails("sale", { amount: 6666, card, pin: true });
  assert.is(e.code, "E_HOST_TIMEOUT");
  assert.is(e.reversal, "pending");
  const st = await a.call("state");
  assert.ok(st.reversalPending && st.reversalPending.tries >= 1, JSON.stringify(st.reversalPending));
  const blocked = await a.fails("sale", { amount: 100, card, pin: true });
  assert.is(blocked.code, "E_REVERSAL_PENDING");
  host.rules.remove(rule.id);
  // Reboot (flash kept) while it is still pending.
  await a.fails("reset");
  await a.whenReady();
  const b = await a.call("boot");
  assert.ok(b.state.reversalPending);
  host.rules.remove(refuse.id);
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
  assert.is((await a.call("recover")).reversal, "sent");
  const revs = reversalsOf(e.record.stan).filter((r) => r.outcome === "applied");
  assert.is(revs.length, 1);
  assert.is(entryOf(e.record.stan, e.record.batch)!.state, "reversed");
  await run.exit();
});

test("a refund (0220 advice) without an answer is not reversed: re-sent with the same STAN before the next sale, counted once", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  const sale = await a.call("sale", { amount: 9000, card, pin: true });
  assert.is(sale.status, "approved");
  const rule = host.rules.add({ match: { mti: "0220", type: "25" }, action: { delayMs: 3000 }, times: 1 });
  const e = await a.fails("refund", { amount: 4000, card, original: { rrn: sale.record.rrn, date: sale.record.hostDate }, supervisorPassword: "123456" });
  host.rules.remove(rule.id);
  assert.is(e.code, "E_HOST_TIMEOUT");
  assert.is(e.reversal, "none");
  assert.match(e.message, /re-sent/);
  const st = await a.call("state");
  assert.is(st.pendingAdvices, 1);
  assert.is(st.reversalPending, null);
  const eventsBefore = a.events.length;
  const next = await a.call("sale", { amount: 100, card, pin: true });
  assert.is(next.status, "approved");
  const sent = a.events.slice(eventsBefore).filter((x) => x.event === "sent");
  assert.equal(sent.map((x) => `${x.mti} ${x.stan}`).slice(0, 2), [`0220 ${String(e.record.stan).padStart(6, "0")}`, `0200 ${String(next.record.stan).padStart(6, "0")}`], "the advice first, with its own STAN");
  const journal: any[] = await a.call("journal");
  assert.is(journal.find((j) => j.stan === e.record.stan).state, "approved");
  assert.is((await a.call("state")).pendingAdvices, 0);
  const refunds = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, kind: "refund" });
  assert.is(refunds.length, 1, "one refund in the ledger");
  assert.is(refunds[0]!.amount, 4000);
  await run.exit();
});

test.run();
