/**
 * Regression tests for what the reliability campaign found (cuts.ts, network.ts), Node fast mode, real host:
 * - a power cut tearing the outcome commit of a balance inquiry left its journal record "pending" for good (a kind
 *   with neither reversal nor advice has nothing to finish it): recover() now marks it failed (E_POWER_CUT);
 * - a reversal answered 22 / A0 / 99 (the host did not process it: it wants a new sign-in) was taken as done
 *   ("any 0410 closes it"): the journal said reversed while the host kept the sale approved. It now stays pending,
 *   the keys are dropped, and it goes out after the sign-in; the host reverses the sale exactly once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_TERMINAL_ID } from "../../boards/sim/host/factory.ts";
import { CARDS, swipe } from "../unit/batch/batch-world.ts";
import { checkInvariants, codeOf, newModel, pad6, relWorld } from "./workload.ts";

test("a cut tearing a balance inquiry's outcome commit: recover() marks the record failed, not pending forever", async () => {
  const w = await relWorld();
  try {
    w.t.ped.nextPin = CARDS.debit.pin;
    // Flash operations of a balance: 1-2 the pending record (program + commit byte), 3-4 the outcome.
    w.flash.cutAt(3, 0.5);
    let code = "";
    try {
      await w.t.terminal.balance({ card: swipe(CARDS.debit), pin: true });
    } catch (e) {
      code = codeOf(e);
    }
    assert.is(code, "E_POWER_OFF");
    assert.ok(w.flash.fired && w.flash.fired.landed > 0 && w.flash.fired.landed < w.flash.fired.length, "the write was torn");
    w.flash.powerOn();
    w.t = w.t.reboot();
    const before = w.t.terminal.journal();
    assert.is(before.length, 1);
    assert.is(before[0]!.state, "pending", "the torn outcome left the record pending");
    await w.t.terminal.recover();
    const after = w.t.terminal.journal()[0]!;
    assert.is(after.state, "failed");
    assert.is(after.error, "E_POWER_CUT");
    assert.equal(checkInvariants(w, newModel()), []);
  } finally {
    await w.host.close();
  }
});

test("a reversal answered 22 stays pending, goes out after the sign-in, and the host reverses the sale once", async () => {
  const w = await relWorld();
  try {
    w.host.rules.add({ match: { mti: "0200", type: "22" }, action: { drop: true }, times: 1 });
    w.host.rules.add({ match: { mti: "0400" }, action: { respond: "22" }, times: 1 });
    w.t.ped.nextPin = CARDS.debit.pin;
    let err: { code?: string; reversal?: string; record?: { stan: number } } = {};
    try {
      await w.t.terminal.sale({ amount: 4321, card: swipe(CARDS.debit), pin: true });
    } catch (e) {
      err = e as typeof err;
    }
    assert.is(err.code, "E_HOST_TIMEOUT");
    assert.is(err.reversal, "pending", "a 0410 with 22 is not a done reversal");
    const stan = err.record!.stan;
    const entry = () => w.host.ledger.byStan(DEFAULT_TERMINAL_ID, pad6(w.t.terminal.state().batch), pad6(stan))!;
    assert.is(entry().state, "approved", "the host processed the sale and did not reverse it yet");
    assert.is(w.t.terminal.state().signedIn, false, "the terminal dropped its keys");
    assert.ok(w.t.terminal.state().reversalPending);
    assert.is((await w.t.terminal.signIn()).status, "approved");
    assert.is(w.t.terminal.state().reversalPending, null);
    assert.is(entry().state, "reversed");
    assert.is(w.host.ledger.reversals.filter((r) => Number(r.stan) === stan && r.outcome === "applied").length, 1);
    assert.is(w.t.terminal.inquiry(stan).state, "reversed");
    const m = newModel();
    m.failed.add(`${w.t.terminal.state().batch}|${stan}`);
    assert.equal(checkInvariants(w, m), []);
  } finally {
    await w.host.close();
  }
});

test.run();
