/**
 * Offline sales and the batch rules (Node fast mode, real host over TCP):
 * - floor limit and chip offline approval; above the limit refused (E_OFFLINE_LIMIT); the slip's record "approved"
 *   with the advice stored; no byte on the line;
 * - store-and-forward: uploaded after the next online transaction, before settlement; a power cut between the
 *   advice leaving and its answer being stored sends it again and the host keeps it once;
 * - a full journal refuses sales with a clear message until the batch is settled;
 * - settlement refused while offline sales cannot be uploaded (E_OFFLINE_PENDING), nothing started.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_TERMINAL_ID } from "../../../boards/sim/host/factory.ts";
import { FLAG_ADVICE } from "../../../firmware/txn/journal.ts";
import { batchWorld, CARDS, swipe } from "./batch-world.ts";

test("floor limit, chip offline approval, upload once after the next online sale", async () => {
  const w = await batchWorld({ offlineFloorLimit: 2000 });
  try {
    const term = w.t.terminal;
    const sentBefore = w.t.events.filter((e) => e.kind === "sent").length;
    const o = await term.offlineSale({ amount: 2000, card: swipe(CARDS.debit) });
    assert.is(o.status, "approved");
    assert.is(o.record.state, "approved");
    assert.ok(o.record.flags & FLAG_ADVICE);
    const chip = await term.offlineSale({ amount: 90000, card: { entryMode: "chip", pan: CARDS.international.pan, expiry: "2906", icc: new Uint8Array([0x9f, 0x27, 0x01, 0x40]) }, chipApproved: true });
    assert.is(chip.status, "approved");
    try {
      await term.offlineSale({ amount: 2001, card: swipe(CARDS.debit) });
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, "E_OFFLINE_LIMIT");
    }
    try {
      await term.offlineSale({ amount: 100, card: swipe(CARDS.debit), chipApproved: true });
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, "E_OFFLINE_NOT_ALLOWED");
    }
    assert.is(w.t.events.filter((e) => e.kind === "sent").length, sentBefore, "nothing sent for offline sales");
    assert.is(term.state().offlinePending, 2);
    assert.is(w.host.ledger.entries({ kind: "offline-sale" }).length, 0);
    w.t.ped.nextPin = CARDS.debit.pin;
    assert.is((await term.sale({ amount: 500, card: swipe(CARDS.debit), pin: true })).status, "approved");
    assert.is(term.state().offlinePending, 0, "uploaded after the online sale");
    const ledger = w.host.ledger.entries({ kind: "offline-sale" });
    assert.is(ledger.length, 2);
    assert.equal(ledger.map((e) => e.amount).sort(), [2000, 90000]);
    assert.is(term.inquiry(o.record.stan).responseCode, "00");
    assert.is(term.inquiry(o.record.stan).rrn, ledger.find((e) => e.amount === 2000)!.rrn);
    assert.is((await term.recover()).offline, 0);
    assert.is(w.host.ledger.entries({ kind: "offline-sale" }).length, 2, "never twice");
  } finally {
    await w.host.close();
  }
});

test("a power cut after the advice left: sent again on the next boot, kept once by the host", async () => {
  const w = await batchWorld({ offlineFloorLimit: 5000 });
  try {
    let t = w.t;
    const o = await t.terminal.offlineSale({ amount: 4321, card: swipe(CARDS.credit) });
    // The write that stores the answer (record + advice deleted) is torn: the cut comes after the host answered.
    t.flash.scheduleCut({ atOperation: 1 });
    try {
      await t.terminal.uploadOffline();
      assert.unreachable("power cut");
    } catch (e) {
      assert.is((e as { code: string }).code, "E_POWER_OFF");
    }
    assert.is(w.host.ledger.entries({ kind: "offline-sale" }).length, 1, "the host has it");
    t = t.reboot();
    assert.is(t.terminal.state().offlinePending, 1, "the terminal does not know it was answered");
    const up = await t.terminal.uploadOffline();
    assert.equal(up, { sent: 1, declined: 0, left: 0 });
    const ledger = w.host.ledger.entries({ kind: "offline-sale" });
    assert.is(ledger.length, 1, "still once on the host");
    assert.is(t.terminal.inquiry(o.record.stan).rrn, ledger[0]!.rrn, "the same answer again");
  } finally {
    await w.host.close();
  }
});

test("settlement refused while offline sales cannot go up; nothing started; then it goes", async () => {
  const w = await batchWorld({ offlineFloorLimit: 5000 });
  try {
    const term = w.t.terminal;
    await term.offlineSale({ amount: 1500, card: swipe(CARDS.debit) });
    w.link.up = false;
    try {
      await term.settle({ supervisorPassword: "123456" });
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, "E_OFFLINE_PENDING");
    }
    assert.is(term.state().settlement, null);
    assert.is(term.journal().length, 1);
    w.link.up = true;
    const st = await term.settle({ supervisorPassword: "123456" });
    assert.equal(st.result, [1, 1]);
    assert.is(st.terminalTotals.domestic.debitAmount, 1500);
    assert.is(w.host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, kind: "offline-sale" }).length, 1);
  } finally {
    await w.host.close();
  }
});

test("a full journal refuses sales with a clear message until the batch is settled", async () => {
  const w = await batchWorld({ journalCapacity: 10, offlineFloorLimit: 5000 });
  try {
    const term = w.t.terminal;
    for (let i = 0; i < 10; i++) await term.offlineSale({ amount: 100 + i, card: swipe(CARDS.debit) });
    for (const attempt of [() => term.offlineSale({ amount: 100, card: swipe(CARDS.debit) }), () => term.sale({ amount: 100, card: swipe(CARDS.debit) })]) {
      try {
        await attempt();
        assert.unreachable();
      } catch (e) {
        assert.is((e as { code: string }).code, "E_JOURNAL_FULL");
        assert.match((e as Error).message, /请先结算/);
        assert.match((e as Error).message, /settle the batch/);
      }
    }
    const st = await term.settle({ supervisorPassword: "123456" });
    assert.is(st.terminalTotals.domestic.debitCount, 10);
    assert.equal(st.result, [1, 1]);
    w.t.ped.nextPin = CARDS.debit.pin;
    assert.is((await term.sale({ amount: 100, card: swipe(CARDS.debit), pin: true })).status, "approved");
  } finally {
    await w.host.close();
  }
});

test.run();
