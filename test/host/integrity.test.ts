/**
 * MAC, duplicates and reversals over real TCP: bad or missing MAC -> A0 with no ledger change; the same request
 * again -> the same answer and one ledger entry; another request with a used trace -> 94; a reversal applies
 * exactly once (re-sent: same answer), an unknown one answers 25 and changes nothing; reversals of a void, a
 * pre-auth and a completion undo them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS as C } from "../../boards/sim/host/factory.ts";
import { buildFrame, parseFrame, type Fields } from "../../boards/sim/host/codec.ts";
import { TestTerminal, H, hex, nodeCupMac } from "./terminal.ts";

async function world(): Promise<{ host: AcquirerHost; t: TestTerminal; done: () => Promise<void> }> {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  return { host, t, done: async () => (t.close(), await host.close()) };
}

function saleFields(t: TestTerminal, amount: number, stan: string): Fields {
  return { 3: "000000", 4: amount, 11: stan, 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("22"), ...t.cardFields(C.debit, "1234") };
}

test("bad MAC -> A0, no MAC on the answer, nothing changes; missing MAC -> A0; MAC under the old MAK after a new sign-in -> A0", async () => {
  const { host, t, done } = await world();
  try {
    const good = buildFrame(t.client.tpdu, t.client.header, "0200", saleFields(t, 100, t.nextStan()), t.mak!);
    const bad = good.slice();
    bad[bad.length - 1] ^= 0x01;
    t.client.send(bad);
    const r = parseFrame(await t.client.readFrame()).message;
    assert.is(r.fields.get(39), "A0");
    assert.is(r.mac, undefined);
    // The MAC covers every byte up to 64: flip a byte of the amount instead.
    const tampered = good.slice();
    tampered[13 + 2 + 8 + 3 + 5] ^= 0x01; // inside field 4
    t.client.send(tampered);
    assert.is(parseFrame(await t.client.readFrame()).message.fields.get(39), "A0");
    const none = await t.send("0200", saleFields(t, 100, t.nextStan()), { mac: false, expectMac: false });
    assert.is(none.code, "A0");
    assert.is(host.ledger.entries().length, 0);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    const oldMak = t.mak!;
    await t.signIn("003");
    const stale = buildFrame(t.client.tpdu, t.client.header, "0200", saleFields(t, 100, t.nextStan()), oldMak);
    t.client.send(stale);
    assert.is(parseFrame(await t.client.readFrame()).message.fields.get(39), "A0");
    // The same good request is then answered, with a MAC that node:crypto verifies (checked inside send()).
    assert.is((await t.send("0200", saleFields(t, 100, t.nextStan()))).code, "00");
    assert.is(host.ledger.entries().length, 1);
  } finally {
    await done();
  }
});

test("duplicate trace: the same request again -> the same answer, one ledger entry; another request -> 94", async () => {
  const { host, t, done } = await world();
  try {
    const stan = t.nextStan();
    const a = await t.send("0200", saleFields(t, 4200, stan));
    const b = await t.send("0200", saleFields(t, 4200, stan));
    assert.is(a.code, "00");
    assert.is(b.code, "00");
    assert.is(b.f(37), a.f(37), "same RRN");
    assert.is(b.f(38), a.f(38), "same auth code");
    assert.is(host.ledger.entries().length, 1);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance - 4200, "debited once");
    const c = await t.send("0200", saleFields(t, 4300, stan));
    assert.is(c.code, "94");
    const d = await t.financial("0200", "01", "310000", t.cardFields(C.debit, "1234"), { stan });
    assert.is(d.code, "94", "a balance inquiry reusing the trace");
    assert.is(host.ledger.entries().length, 1);
    // After a re-sign-in the same request (new MAC) is still the same request.
    await t.signIn("003");
    const e = await t.send("0200", saleFields(t, 4200, stan));
    assert.is(e.f(37), a.f(37));
    // A new batch reuses traces freely.
    await t.settle("0".repeat(62));
    t.batch = host.terminals.get(t.tid)!.openBatch;
    assert.is((await t.send("0200", saleFields(t, 4300, stan))).code, "00");
    assert.is(host.ledger.entries().length, 2);
  } finally {
    await done();
  }
});

test("reversal: applied exactly once (re-sent: same answer), money back, original reversed", async () => {
  const { host, t, done } = await world();
  try {
    const fields = saleFields(t, 9900, t.nextStan());
    const s = await t.send("0200", fields);
    assert.is(s.code, "00");
    const r1 = await t.reversal(fields, "98");
    assert.is(r1.message.mti, "0410");
    assert.is(r1.code, "00");
    assert.is(r1.f(37), s.f(37));
    const r2 = await t.reversal(fields, "98");
    assert.is(r2.code, "00");
    assert.equal(r2.f(37), r1.f(37));
    const e = host.ledger.byRrn(s.f(37)!)!;
    assert.is(e.state, "reversed");
    assert.is(e.reversal!.reason, "98");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance, "credited back once");
    assert.is(host.ledger.reversals.length, 1, "one reversal record: the repeat came from the stored answer");
    assert.is(host.ledger.reversals[0]!.outcome, "applied");
    // Not voidable or refundable any more.
    assert.is((await t.voidSale(C.debit, { stan: String(fields[11]), rrn: s.f(37)!, amount: 9900 })).code, "12");
  } finally {
    await done();
  }
});

test("a reversal answered by a script (96) is not stored: the retry applies it", async () => {
  const { host, t, done } = await world();
  try {
    const fields = saleFields(t, 2600, t.nextStan());
    assert.is((await t.send("0200", fields)).code, "00");
    host.rules.add({ match: { mti: "0400" }, action: { respond: "96" }, times: 1 });
    assert.is((await t.reversal(fields, "98")).code, "96");
    assert.is(host.ledger.entries({ state: "approved" }).length, 1, "not applied");
    assert.is((await t.reversal(fields, "98")).code, "00");
    assert.is(host.ledger.entries({ state: "reversed" }).length, 1);
    assert.is((await t.reversal(fields, "98")).code, "00");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
  } finally {
    await done();
  }
});

test("reversal of a transaction the host never saw: 25, nothing changes; of a declined one: 00, nothing changes", async () => {
  const { host, t, done } = await world();
  try {
    const ghost = saleFields(t, 1234, t.nextStan());
    const r = await t.reversal(ghost, "98");
    assert.is(r.code, "25");
    assert.is(host.ledger.entries().length, 0);
    assert.is(host.ledger.reversals[0]!.outcome, "unknown");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    // The host's setting: 00 instead.
    host.config.unknownReversalCode = "00";
    assert.is((await t.reversal(saleFields(t, 1234, t.nextStan()), "06")).code, "00");
    const low = { ...saleFields(t, 5000, t.nextStan()), 35: C.lowBalance.track2, 52: undefined, 22: "022" };
    assert.is((await t.send("0200", low)).code, "51");
    assert.is((await t.reversal(low, "96")).code, "00");
    assert.is(host.ledger.reversals.at(-1)!.outcome, "nothing");
    assert.is(host.accounts.get(C.lowBalance.pan)!.balance, C.lowBalance.balance);
    // Wrong amount in the reversal: 64, not applied.
    const s = saleFields(t, 300, t.nextStan());
    await t.send("0200", s);
    assert.is((await t.reversal({ ...s, 4: 301 }, "98")).code, "64");
    assert.is(host.ledger.entries({ state: "approved" }).length, 1);
  } finally {
    await done();
  }
});

test("reversals of a void, a pre-auth, a pre-auth cancel, a completion undo each of them", async () => {
  const { host, t, done } = await world();
  try {
    const acc = host.accounts.get(C.credit.pan)!;
    const base = C.credit.balance;
    // Void reversed: the sale is approved again, money out again.
    const s = await t.sale(C.credit, 1000, "8888");
    const vStan = t.nextStan();
    const vFields: Fields = { 3: "200000", 4: 1000, 11: vStan, 25: "00", 35: C.credit.track2, 22: "022", 37: s.f(37), 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("23"), 61: t.batch + s.stan };
    assert.is((await t.send("0200", vFields)).code, "00");
    assert.is(acc.balance, base);
    assert.is((await t.reversal(vFields, "98")).code, "00");
    assert.is(host.ledger.byRrn(s.f(37)!)!.state, "approved");
    assert.is(acc.balance, base - 1000);
    // Pre-auth reversed: hold released.
    const pFields: Fields = { 3: "030000", 4: 5000, 11: t.nextStan(), 25: "06", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("10"), ...t.cardFields(C.credit, "8888") };
    const p = await t.send("0100", pFields);
    assert.is(acc.held, 5000);
    assert.is((await t.reversal(pFields, "98")).code, "00");
    assert.is(acc.held, 0);
    assert.is(host.ledger.byRrn(p.f(37)!)!.state, "reversed");
    // Completion reversed: pre-auth open and held again, money back.
    const p2 = await t.preAuth(C.credit, 4000, "8888");
    const cFields: Fields = { 3: "000000", 4: 4400, 11: t.nextStan(), 25: "06", 35: C.credit.track2, 22: "022", 38: p2.f(38), 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("20"), 61: "000000000000" + p2.f(13) };
    assert.is((await t.send("0200", cFields)).code, "00");
    assert.is(acc.balance, base - 1000 - 4400);
    assert.is((await t.reversal(cFields, "A0")).code, "00");
    assert.is(acc.balance, base - 1000);
    assert.is(acc.held, 4000);
    assert.is(host.ledger.byRrn(p2.f(37)!)!.state, "approved");
    // Pre-auth cancel reversed: hold back.
    const xFields: Fields = { 3: "200000", 4: 4000, 11: t.nextStan(), 25: "06", 35: C.credit.track2, 22: "022", 38: p2.f(38), 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("11"), 61: "000000000000" + p2.f(13) };
    assert.is((await t.send("0100", xFields)).code, "00");
    assert.is(acc.held, 0);
    assert.is((await t.reversal(xFields, "98")).code, "00");
    assert.is(acc.held, 4000);
    assert.is(host.ledger.byRrn(p2.f(37)!)!.state, "approved");
    // A refund is not reversed (12).
    const rf = await t.refund(C.credit, 100, { stan: s.stan, rrn: s.f(37)!, batch: t.batch, date: s.f(13)! });
    assert.is(rf.code, "00");
    assert.is((await t.reversal({ 3: "200000", 4: 100, 11: rf.stan, 25: "00", 41: t.tid, 42: t.mid, 49: "156", 60: t.f60("25") }, "98")).code, "25", "0220 advices are not reversal originals");
  } finally {
    await done();
  }
});

test("a MAC'd answer is verified independently: the core's MAC of the answer equals node:crypto's", async () => {
  const { t, done } = await world();
  try {
    const r = await t.sale(C.debit, 100, "1234");
    const body = r.frame.subarray(13);
    assert.is(hex(body.subarray(body.length - 8)), hex(nodeCupMac(t.mak!, body.subarray(0, body.length - 8))));
    assert.is(hex(r.message.mac!), hex(body.subarray(body.length - 8)));
    assert.ok(/^[0-9A-F]{8}$/.test(Buffer.from(r.message.mac!).toString("ascii")), "8 ASCII hex characters");
    void H;
  } finally {
    await done();
  }
});

test.run();
