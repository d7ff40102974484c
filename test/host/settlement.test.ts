/**
 * Settlement and batch upload over real TCP: the host's own totals against field 48 (balanced -> 1 and the batch
 * closes; unbalanced -> 2, batch upload of the terminal's detail, batch end -> 1 after re-reconciliation), the
 * foreign half, a re-sent settlement, and 77 for a batch the host does not have open.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS as C } from "../../boards/sim/host/factory.ts";
import { TestTerminal, field48 } from "./terminal.ts";

async function world(): Promise<{ host: AcquirerHost; t: TestTerminal; done: () => Promise<void> }> {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  return { host, t, done: async () => (t.close(), await host.close()) };
}

/** A batch: sale 100.00, sale 50.00 voided, refund 20.00 of the first, offline 30.00, a declined and a reversed sale. */
async function batchOf(t: TestTerminal) {
  const s1 = await t.sale(C.debit, 10000, "1234");
  const s2 = await t.sale(C.debit, 5000, "1234");
  await t.voidSale(C.debit, { stan: s2.stan, rrn: s2.f(37)!, amount: 5000 });
  const rf = await t.refund(C.debit, 2000, { stan: s1.stan, rrn: s1.f(37)!, batch: t.batch, date: s1.f(13)! });
  const off = await t.offlineSale(C.credit, 3000);
  assert.is((await t.sale(C.lowBalance, 99999, "1234")).code, "51");
  const rev = await t.sale(C.debit, 777, "1234");
  await t.reversal({ 2: undefined, 3: "000000", 4: 777, 11: rev.stan, 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("22") }, "98");
  assert.is(rf.code, "00");
  assert.is(off.code, "00");
  // Debit: 100.00 + 50.00 + 30.00 (3); credit: 50.00 void + 20.00 refund (2).
  return { debit: { da: 18000, dc: 3, ca: 7000, cc: 2 }, s1 };
}

test("balanced settlement: result 1, the terminal's totals echoed, the batch closes and the next opens", async () => {
  const { host, t, done } = await world();
  try {
    const { debit } = await batchOf(t);
    assert.equal(host.ledger.totals(t.tid, "000001").domestic, { debitAmount: 18000, debitCount: 3, creditAmount: 7000, creditCount: 2 });
    const r = await t.settle(field48(debit));
    assert.is(r.message.mti, "0510");
    assert.is(r.code, "00");
    const f48 = r.f(48)!;
    assert.is(f48.length, 62);
    assert.is(f48, field48(debit).substring(0, 30) + "1" + field48(debit).substring(31, 61) + "1");
    const term = host.terminals.get(t.tid)!;
    assert.is(term.lastSettledBatch, "000001");
    assert.is(term.openBatch, "000002");
    // Old batch: 77 for a sale; the same settlement again is answered again (1).
    assert.is((await t.sale(C.debit, 100, "1234")).code, "77");
    const again = await t.settle(field48(debit));
    assert.is(again.f(48)!.substring(30, 31), "1");
    assert.is(term.openBatch, "000002", "not advanced twice");
    t.batch = "000002";
    assert.is((await t.sale(C.debit, 100, "1234")).code, "00");
    t.batch = "000005";
    assert.is((await t.settle(field48(debit))).code, "77");
  } finally {
    await done();
  }
});

test("unbalanced settlement -> batch upload of the terminal's detail -> batch end balanced", async () => {
  const { host, t, done } = await world();
  try {
    // The host approved two sales; the terminal's journal knows one of them and an offline sale the host never got.
    const a = await t.sale(C.debit, 10000, "1234");
    const b = await t.sale(C.credit, 2500, "8888");
    const terminalDebit = { da: 10000 + 4000, dc: 2, ca: 0, cc: 0 };
    const r = await t.settle(field48(terminalDebit));
    assert.is(r.code, "00");
    assert.is(r.f(48)!.substring(30, 31), "2", "domestic not balanced");
    assert.is(r.f(48)!.substring(61, 62), "1", "foreign balanced (both zero)");
    const rec = host.ledger.batchRecords(t.tid)[0]!;
    assert.equal(rec.settlement!.hostTotals.domestic, { debitAmount: 12500, debitCount: 2, creditAmount: 0, creditCount: 0 });
    assert.equal(rec.settlement!.result, ["2", "1"]);
    // Upload: the terminal's two transactions (a, and its offline sale with trace 000099).
    assert.is((await t.uploadDetail({ stan: a.stan, processingCode: "000000", amount: 10000, pan: C.debit.pan, rrn: a.f(37)!, auth: a.f(38)! })).code, "00");
    const d2 = await t.uploadDetail({ stan: "000099", processingCode: "000000", amount: 4000, pan: C.debit.pan });
    assert.is(d2.message.mti, "0330");
    assert.is(d2.code, "00");
    const end = await t.uploadEnd(2, "202");
    assert.is(end.code, "00");
    assert.is(end.f(48)!.substring(30, 31), "1", "balanced after the upload");
    assert.is(end.f(48)!.substring(61, 62), "1");
    const ended = rec.upload.ended!;
    assert.equal(ended.result, ["1", "1"]);
    assert.equal(ended.unknown, ["000099"], "the offline sale the host never saw");
    assert.equal(ended.missing, [b.stan], "the sale the terminal did not upload");
    // A wrong count in the batch end: not balanced.
    assert.is((await t.uploadEnd(3, "207")).f(48)!.substring(30, 31), "2");
    // An upload naming a batch that is not the settled one: 77.
    t.batch = "000002";
    assert.is((await t.uploadEnd(0)).code, "77");
  } finally {
    await done();
  }
});

test("foreign cards are the settlement's foreign half; a 31-digit 48 has no foreign half; malformed 48 -> 30", async () => {
  const { host, t, done } = await world();
  try {
    await t.sale(C.debit, 1000, "1234");
    await t.sale(C.foreignVisa, 2000, "1111");
    const bad = await t.settle("12345");
    assert.is(bad.code, "30");
    assert.is(host.terminals.get(t.tid)!.openBatch, "000001", "a malformed settlement closes nothing");
    const domesticOnly = field48({ da: 1000, dc: 1, ca: 0, cc: 0 }).substring(0, 31);
    const r = await t.settle(domesticOnly);
    assert.is(r.f(48)!.substring(30, 31), "1");
    assert.is(r.f(48)!.substring(61, 62), "2", "the host has a foreign sale the terminal did not declare");
    const t2 = await TestTerminal.ready(host, "20000002", "898100099990002");
    await t2.sale(C.foreignVisa, 2000, "1111");
    const r2 = await t2.settle(field48({ da: 0, dc: 0, ca: 0, cc: 0 }, { da: 2000, dc: 1, ca: 0, cc: 0 }));
    assert.is(r2.f(48)!.substring(30, 31) + r2.f(48)!.substring(61, 62), "11");
    t2.close();
  } finally {
    await done();
  }
});

test.run();
