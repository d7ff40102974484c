/**
 * Financial messages over real TCP, each answer's MAC checked with node:crypto: balance (54), sale and its
 * declines, PIN checks (55, 75 after 3 wrong tries, 99), void, refund, pre-auth, cancel, completion (≤ 115 %),
 * completion void, offline advice; account balances and the ledger after each.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { TEST_CARDS as C } from "../../boards/sim/host/factory.ts";
import { TestTerminal } from "./terminal.ts";

async function world(): Promise<{ host: AcquirerHost; t: TestTerminal; done: () => Promise<void> }> {
  const host = await createAcquirerHost();
  const t = await TestTerminal.ready(host);
  return {
    host,
    t,
    done: async () => {
      t.close();
      await host.close();
    },
  };
}

test("balance inquiry: 54 = account type, 02, 156, C, 12-digit available balance; not money-moving", async () => {
  const { host, t, done } = await world();
  try {
    const r = await t.balance(C.debit, "1234");
    assert.is(r.code, "00");
    assert.is(r.message.mti, "0210");
    assert.is(r.f(54), "1002156C" + String(C.debit.balance).padStart(12, "0"));
    const credit = await t.balance(C.credit, "8888");
    assert.is(credit.f(54)!.substring(0, 4), "3002");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    assert.is(host.ledger.entries({ kind: "balance" }).length, 2);
  } finally {
    await done();
  }
});

test("sale: approved with RRN and auth code, account debited, ledger entry; declines 51 14 54 41 43 62 13", async () => {
  const { host, t, done } = await world();
  try {
    const r = await t.sale(C.debit, 12345, "1234");
    assert.is(r.code, "00");
    assert.match(r.f(37)!, /^\d{12}$/);
    assert.match(r.f(38)!, /^\d{6}$/);
    assert.is(r.f(4), "000000012345");
    assert.is(r.f(11), r.stan);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance - 12345);
    const e = host.ledger.byRrn(r.f(37)!)!;
    assert.equal([e.kind, e.state, e.amount, e.stan, e.batch, e.authCode, e.terminalId], ["sale", "approved", 12345, r.stan, "000001", r.f(38), t.tid]);
    const cases: Array<[keyof typeof C, number, string]> = [
      ["lowBalance", 1001, "51"],
      ["expired", 100, "54"],
      ["lost", 100, "41"],
      ["stolen", 100, "43"],
      ["restricted", 100, "62"],
      ["debit", 0, "13"],
    ];
    for (const [card, amount, code] of cases) {
      const d = await t.sale(C[card], amount, C[card].pin);
      assert.is(d.code, code, card);
      assert.is(d.f(38), undefined, `${card}: no auth code`);
      assert.is(host.ledger.byRrn(d.f(37)!)!.state, "declined");
    }
    // Exactly the available balance is fine.
    assert.is((await t.sale(C.lowBalance, 1000, "1234")).code, "00");
    // Unknown card (Luhn-valid, not an account).
    const unknown = { pan: "6214830000000099991", track2: "6214830000000099991=29126201000000000", expiry: "2912" };
    assert.is((await t.financial("0200", "22", "000000", { 4: 100, ...t.cardFields(unknown) })).code, "14");
    // Wrong processing code for a sale.
    assert.is((await t.financial("0200", "22", "200000", { 4: 100, ...t.cardFields(C.debit) })).code, "30");
    // Unsupported 60.1 (tip adjustment).
    assert.is((await t.financial("0220", "34", "000000", { 4: 100, ...t.cardFields(C.debit) })).code, "40");
  } finally {
    await done();
  }
});

test("PIN: wrong PIN 55, the third wrong PIN 75 and the card locked, reset; right PIN clears the count; bad block 99", async () => {
  const { host, t, done } = await world();
  try {
    assert.is((await t.sale(C.credit, 100, "1111")).code, "55");
    assert.is((await t.sale(C.credit, 100, "8888")).code, "00", "right PIN clears the count");
    assert.is(host.accounts.get(C.credit.pan)!.pinTries, 0);
    assert.is((await t.sale(C.credit, 100, "1111")).code, "55");
    assert.is((await t.sale(C.credit, 100, "2222")).code, "55");
    assert.is((await t.sale(C.credit, 100, "3333")).code, "75");
    assert.is((await t.sale(C.credit, 100, "8888")).code, "75", "locked even with the right PIN");
    host.accounts.resetPinTries(C.credit.pan);
    assert.is((await t.sale(C.credit, 100, "8888")).code, "00");
    // A block that does not decrypt to format 0 for this PAN: 99.
    assert.is((await t.financial("0200", "22", "000000", { 4: 100, ...t.cardFields(C.debit), 52: "0123456789ABCDEF" })).code, "99");
    // A PIN-required account without PIN: 55.
    host.accounts.add({ pan: "6214830000000010063", pin: "000000", requirePin: true });
    const card = { pan: "6214830000000010063", track2: "6214830000000010063=49126201000000000", expiry: "4912" };
    assert.is((await t.financial("0200", "22", "000000", { 4: 100, ...t.cardFields(card) })).code, "55");
    assert.is((await t.financial("0200", "22", "000000", { 4: 100, ...t.cardFields(card, "000000") })).code, "00");
  } finally {
    await done();
  }
});

test("void: by batch+trace, by RRN; not twice (12), wrong amount (64), unknown (25), not in the open batch (12)", async () => {
  const { host, t, done } = await world();
  try {
    const s = await t.sale(C.debit, 5000, "1234");
    const orig = { stan: s.stan, rrn: s.f(37)!, amount: 5000, auth: s.f(38) };
    assert.is((await t.voidSale(C.debit, { ...orig, amount: 4999 })).code, "64");
    const v = await t.voidSale(C.debit, orig);
    assert.is(v.code, "00");
    assert.is(v.f(38), orig.auth);
    assert.is(host.ledger.byRrn(orig.rrn)!.state, "voided");
    assert.is(host.ledger.byRrn(v.f(37)!)!.originalId, host.ledger.byRrn(orig.rrn)!.id);
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    assert.is((await t.voidSale(C.debit, orig)).code, "12", "already voided");
    assert.is((await t.voidSale(C.debit, { stan: "999999", rrn: "000000999999", amount: 5000 })).code, "25");
    // By RRN only (61 names nothing the host has).
    const s2 = await t.sale(C.debit, 700, "1234");
    const v2 = await t.financial("0200", "23", "200000", { 4: 700, 35: C.debit.track2, 22: "022", 37: s2.f(37), 61: "000000000000" });
    assert.is(v2.code, "00");
    // Another card than the original's: 14.
    const s3 = await t.sale(C.debit, 800, "1234");
    assert.is((await t.voidSale(C.credit, { stan: s3.stan, rrn: s3.f(37)!, amount: 800 })).code, "14");
    // After settlement the original is in a closed batch: 12.
    assert.is((await t.settle("0".repeat(62))).code, "00");
    t.batch = host.terminals.get(t.tid)!.openBatch;
    assert.is((await t.voidSale(C.debit, { stan: s3.stan, rrn: s3.f(37)!, amount: 800, batch: "000001" })).code, "12");
  } finally {
    await done();
  }
});

test("refund: partial, then the rest, then nothing left (13); original not found (25), wrong date (25), voided (12)", async () => {
  const { host, t, done } = await world();
  try {
    const s = await t.sale(C.debit, 10000, "1234");
    const orig = { stan: s.stan, rrn: s.f(37)!, batch: t.batch, date: s.f(13)! };
    const r1 = await t.refund(C.debit, 3000, orig);
    assert.is(r1.code, "00");
    assert.is(r1.message.mti, "0230");
    assert.is(host.ledger.byRrn(orig.rrn)!.refundedAmount, 3000);
    assert.is(host.ledger.byRrn(orig.rrn)!.state, "approved");
    assert.is((await t.refund(C.debit, 7001, orig)).code, "13");
    assert.is((await t.refund(C.debit, 7000, orig)).code, "00");
    assert.is(host.ledger.byRrn(orig.rrn)!.state, "refunded");
    assert.is((await t.refund(C.debit, 1, orig)).code, "12");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance);
    assert.is((await t.refund(C.debit, 100, { ...orig, stan: "999998", rrn: "999999999999" })).code, "25");
    const s2 = await t.sale(C.debit, 500, "1234");
    const wrongDay = s2.f(13) === "0101" ? "0102" : "0101";
    assert.is((await t.refund(C.debit, 100, { stan: s2.stan, rrn: s2.f(37)!, batch: t.batch, date: wrongDay })).code, "25");
    assert.is((await t.voidSale(C.debit, { stan: s2.stan, rrn: s2.f(37)!, amount: 500 })).code, "00");
    assert.is((await t.refund(C.debit, 100, { stan: s2.stan, rrn: s2.f(37)!, batch: t.batch, date: s2.f(13)! })).code, "12");
  } finally {
    await done();
  }
});

test("pre-auth holds funds; cancel releases; completion up to 115 % debits; completion void restores the pre-auth", async () => {
  const { host, t, done } = await world();
  try {
    const acc = host.accounts.get(C.credit.pan)!;
    const p = await t.preAuth(C.credit, 10000, "8888");
    assert.is(p.code, "00");
    assert.is(p.message.mti, "0110");
    const code = p.f(38)!;
    assert.is(acc.held, 10000);
    assert.is(acc.balance, C.credit.balance);
    assert.is((await t.balance(C.credit, "8888")).f(54)!.substring(8), String(C.credit.balance - 10000).padStart(12, "0"), "available = balance - holds");
    // Cancel: amount must match; then the hold is gone.
    assert.is((await t.preAuthCancel(C.credit, 9999, code, p.f(13)!)).code, "64");
    const c = await t.preAuthCancel(C.credit, 10000, code, p.f(13)!);
    assert.is(c.code, "00");
    assert.is(acc.held, 0);
    assert.is(host.ledger.byRrn(p.f(37)!)!.state, "voided");
    assert.is((await t.completion(C.credit, 10000, code, p.f(13)!)).code, "12", "a cancelled pre-auth cannot complete");
    // Completion: 115 % + 1 fen declined, exactly 115 % approved.
    const p2 = await t.preAuth(C.credit, 20000, "8888");
    const code2 = p2.f(38)!;
    assert.is((await t.completion(C.credit, 23001, code2, p2.f(13)!)).code, "13");
    const done2 = await t.completion(C.credit, 23000, code2, p2.f(13)!);
    assert.is(done2.code, "00");
    assert.is(done2.f(38), code2);
    assert.is(acc.held, 0);
    assert.is(acc.balance, C.credit.balance - 23000);
    assert.is(host.ledger.byRrn(p2.f(37)!)!.state, "completed");
    assert.is((await t.completion(C.credit, 100, code2, p2.f(13)!)).code, "12", "completed once");
    assert.is((await t.completion(C.credit, 100, "999999", p2.f(13)!)).code, "25");
    // Completion void: money back, pre-auth open (and held) again.
    const cv = await t.completionVoid(C.credit, { stan: done2.stan, rrn: done2.f(37)!, amount: 23000 });
    assert.is(cv.code, "00");
    assert.is(acc.balance, C.credit.balance);
    assert.is(acc.held, 20000);
    assert.is(host.ledger.byRrn(p2.f(37)!)!.state, "approved");
    assert.is(host.ledger.byRrn(done2.f(37)!)!.state, "voided");
  } finally {
    await done();
  }
});

test("offline sale advice: accepted (offline-advised), the same advice again answered and counted once", async () => {
  const { host, t, done } = await world();
  try {
    const a = await t.offlineSale(C.debit, 2500);
    assert.is(a.code, "00");
    assert.is(a.message.mti, "0230");
    assert.is(a.f(38), "OFF001");
    const again = await t.offlineSale(C.debit, 2500, a.stan);
    assert.is(again.code, "00");
    assert.is(again.f(37), a.f(37), "the same answer");
    assert.is(host.ledger.entries({ kind: "offline-sale" }).length, 1);
    assert.is(host.ledger.entries({ kind: "offline-sale" })[0]!.state, "offline-advised");
    assert.is(host.accounts.get(C.debit.pan)!.balance, C.debit.balance - 2500);
  } finally {
    await done();
  }
});

test.run();
