/**
 * The Terminal (engine code, Node fast mode) against the real acquirer host over TCP on 127.0.0.1: activation,
 * sign-in, operator sign-in, sale, void, refund, balance, pre-auth, completion, settlement; the terminal's journal
 * compared with the host's ledger. The engine tests (test/engine/txn-*.test.ts) run the same flows inside QuickJS
 * with the simulator's devices; this one is the fast loop.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../../boards/sim/host/host.ts";
import { ACTIVATION_CASES, DEFAULT_ACTIVATION_CODE, DEFAULT_MERCHANT_ID, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../../boards/sim/host/factory.ts";
import { ACTIVATION_DECLINES } from "../../../firmware/terminal/activation.ts";
import { nodeTerminal, type NodeTerminal } from "./node-terminal.ts";
import type { CardData } from "../../../firmware/cup/messages.ts";

let host: AcquirerHost;
let t: NodeTerminal;

const swipe = (c: { pan: string; track2: string }): CardData => ({ entryMode: "swipe", pan: c.pan, track2: c.track2 });

test.before(async () => {
  host = await createAcquirerHost();
  t = nodeTerminal();
  t.terminal.configure({ hostAddress: "127.0.0.1", hostPort: host.port });
});
test.after(async () => {
  await host.close();
});

test("activation -> sign-in -> sale -> void -> refund -> balance -> pre-auth -> completion; journal = ledger", async () => {
  const term = t.terminal;
  const a = await term.activate(DEFAULT_ACTIVATION_CODE);
  assert.is(a.status, "approved", JSON.stringify(a));
  assert.is(a.terminalId, DEFAULT_TERMINAL_ID);
  assert.is(a.merchantId, DEFAULT_MERCHANT_ID);
  const s = await term.signIn();
  assert.is(s.status, "approved", JSON.stringify(s));
  term.operatorSignIn("01", "0000");
  const debit = TEST_CARDS.debit;
  t.ped.nextPin = debit.pin;
  const sale = await term.sale({ amount: 12345, card: swipe(debit), pin: true });
  assert.is(sale.status, "approved", JSON.stringify(sale));
  assert.is(sale.record.rrn.length, 12);
  const v = await term.voidSale(sale.record.stan, { supervisorPassword: "123456" });
  assert.is(v.status, "approved", JSON.stringify(v));
  const sale2 = await term.sale({ amount: 5000, card: swipe(debit), pin: true });
  assert.is(sale2.status, "approved", JSON.stringify(sale2));
  const r = await term.refund({ amount: 2000, card: swipe(debit), original: { rrn: sale2.record.rrn, date: sale2.record.hostDate }, supervisorPassword: "123456" });
  assert.is(r.status, "approved", JSON.stringify(r));
  const b = await term.balance({ card: swipe(debit), pin: true });
  assert.is(b.status, "approved", JSON.stringify(b));
  assert.ok(b.balance && b.balance.amount > 0, JSON.stringify(b.balance));
  const pa = await term.preAuth({ amount: 10000, card: swipe(debit), pin: true });
  assert.is(pa.status, "approved", JSON.stringify(pa));
  const c = await term.completion({ trace: pa.record.stan, amount: 9000 });
  assert.is(c.status, "approved", JSON.stringify(c));

  const journal = term.journal();
  const ledger = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID });
  for (const j of journal) {
    const l = ledger.find((e) => Number(e.stan) === j.stan && Number(e.batch) === j.batch);
    assert.ok(l, `ledger entry for STAN ${j.stan}`);
    assert.is(l!.rrn, j.rrn, `rrn of ${j.stan}`);
    assert.is(l!.amount, j.amount, `amount of ${j.stan}`);
    assert.is(l!.responseCode, j.responseCode);
  }
});

test("settlement balanced: the batch closes, the next batch starts, the journal is empty", async () => {
  const term = t.terminal;
  const batch = term.state().batch;
  const st = await term.settle({ supervisorPassword: "123456" });
  assert.ok(st.balanced, JSON.stringify(st));
  assert.equal(st.result, [1, 1]);
  assert.is(st.uploaded, 0);
  assert.is(st.newBatch, batch + 1);
  // Debit: the voided sale, the second sale, the completion; credit: the void and the refund.
  assert.equal(st.terminalTotals.domestic, { debitAmount: 12345 + 5000 + 9000, debitCount: 3, creditAmount: 12345 + 2000, creditCount: 2, result: 0 });
  assert.is(term.journal().length, 0);
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, String(batch).padStart(6, "0"));
  assert.equal(rec.settlement!.result, ["1", "1"]);
});

test("settlement not balanced (the host lost a transaction): batch upload of every counted one, then balanced", async () => {
  const term = t.terminal;
  const debit = TEST_CARDS.debit;
  t.ped.nextPin = debit.pin;
  const a = await term.sale({ amount: 700, card: swipe(debit), pin: true });
  const b = await term.sale({ amount: 300, card: swipe(debit), pin: true });
  assert.is(a.status, "approved");
  assert.is(b.status, "approved");
  // The host's entry of the second sale vanishes from its totals (declined on its side).
  const batch = String(term.state().batch).padStart(6, "0");
  host.ledger.byStan(DEFAULT_TERMINAL_ID, batch, String(b.record.stan).padStart(6, "0"))!.state = "declined";
  const st = await term.settle({ supervisorPassword: "123456" });
  assert.is(st.balanced, false, JSON.stringify(st));
  assert.equal(st.result, [2, 1]);
  assert.is(st.uploaded, 2);
  assert.equal(st.uploadResult, [1, 1], "the uploaded detail balances the terminal's totals");
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, batch);
  assert.is(rec.upload.details.size, 2);
  assert.is(rec.upload.ended!.code, "202");
  assert.is(rec.upload.ended!.declaredCount, 2);
  assert.is(term.journal().length, 0);
});

test("a reboot (same flash, new RAM) keeps parameters, keys state, counters and journal", async () => {
  const term = t.terminal;
  t.ped.nextPin = TEST_CARDS.debit.pin;
  const s = await term.sale({ amount: 4200, card: swipe(TEST_CARDS.debit), pin: true });
  const before = term.state();
  const again = t.reboot();
  const after = again.terminal.state();
  assert.equal({ ...after, operator: before.operator, supervisor: before.supervisor }, before);
  assert.is(after.operator, null);
  assert.equal(again.terminal.journal(), term.journal());
  again.terminal.operatorSignIn("01", "0000");
  again.ped.nextPin = TEST_CARDS.debit.pin;
  const next = await again.terminal.sale({ amount: 100, card: swipe(TEST_CARDS.debit), pin: true });
  assert.is(next.status, "approved");
  assert.is(next.record.stan, s.record.stan + 1);
});

test("every activation decline of the profile: its code, text and next step; the terminal stays as it was", async () => {
  for (const [name, c] of Object.entries(ACTIVATION_CASES)) {
    if (c.responseCode === "00") continue;
    const n = nodeTerminal({ serial: c.serial });
    n.terminal.configure({ hostAddress: "127.0.0.1", hostPort: host.port });
    const before = n.terminal.parameters();
    const r = await n.terminal.activate(c.code);
    assert.is(r.status, "declined", name);
    assert.is(r.code, c.responseCode, name);
    assert.is(r.text, ACTIVATION_DECLINES[c.responseCode]!.zh, name);
    assert.is(r.next, ACTIVATION_DECLINES[c.responseCode]!.next, name);
    assert.equal(n.terminal.parameters(), before, `${name}: parameters unchanged`);
    assert.is(n.ped.hasKey(1), false, `${name}: no TMK`);
  }
});

test.run();
