/**
 * Settlement with a deliberate mismatch (the host lost a sale from its totals) and a power cut at EVERY flash
 * write of it, one fresh world per cut (Node fast mode, real host over TCP, RAM flash torn mid-write):
 *   offline sales uploaded first -> 0500 (result 2) -> batch upload of every counted transaction -> upload end ->
 *   0500 again (reconciled by the upload: 1) -> journal cleared -> next batch -> sign-out -> sign-in.
 * After each cut the terminal reboots from what flash kept: until the step "closing" the journal is whole (nothing
 * lost); `settle()` resumes; at the end the host has every offline sale once, every uploaded detail once, the batch
 * settled and advanced once, its ledger unchanged; the terminal's journal is empty and its batch advanced once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_TERMINAL_ID } from "../../../boards/sim/host/factory.ts";
import { batchWorld, CARDS, swipe, type BatchWorld } from "./batch-world.ts";
import type { NodeTerminal } from "../txn/node-terminal.ts";

const pad = (n: number) => String(n).padStart(6, "0");

/** The same small batch in every world: 5 sales, a void, a refund, 3 offline sales (not uploaded yet). */
async function dayOf(w: BatchWorld): Promise<{ batch: number; counted: number; lost: number }> {
  const term = w.t.terminal;
  const stans: number[] = [];
  for (const amount of [1000, 2000, 3000, 4000, 5000]) {
    w.t.ped.nextPin = CARDS.debit.pin;
    const s = await term.sale({ amount, card: swipe(CARDS.debit), pin: true });
    assert.is(s.status, "approved");
    stans.push(s.record.stan);
  }
  assert.is((await term.voidSale(stans[0]!, { supervisorPassword: "123456" })).status, "approved");
  const s2 = term.inquiry(stans[1]!);
  assert.is((await term.refund({ amount: 500, card: swipe(CARDS.debit), original: { rrn: s2.rrn, date: s2.hostDate }, supervisorPassword: "123456" })).status, "approved");
  w.link.up = false;
  for (const amount of [100, 200, 300]) assert.is((await term.offlineSale({ amount, card: swipe(CARDS.credit) })).status, "approved");
  w.link.up = true;
  const batch = term.state().batch;
  // The deliberate mismatch: the host's entry of the 3rd sale leaves its totals.
  w.host.ledger.byStan(DEFAULT_TERMINAL_ID, pad(batch), pad(stans[2]!))!.state = "declined";
  return { batch, counted: 5 + 1 + 1 + 3, lost: stans[2]! }; // every journal record counts
}

test("mismatch + batch upload + a power cut at every flash write of the settlement: resumes, nothing lost or counted twice", async () => {
  let cuts = 0;
  let total = 0;
  const phases = new Set<string>();
  for (let k = 1; k < 400; k++) {
    const w = await batchWorld({ offlineFloorLimit: 1000 });
    try {
      const { batch, counted } = await dayOf(w);
      let t: NodeTerminal = w.t;
      const ledgerBefore = w.host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length;
      const opsBefore = t.flash.operations;
      t.flash.scheduleCut({ atOperation: k });
      let cut = false;
      let st;
      try {
        st = await t.terminal.settle({ supervisorPassword: "123456" });
      } catch (e) {
        if ((e as { code?: string }).code !== "E_POWER_OFF") throw e;
        cut = true;
      }
      if (!cut) {
        total = t.flash.operations - opsBefore;
        // No cut fired: k passed the last write. Check the uncut run and stop.
        assert.ok(k > 1);
        break;
      }
      cuts++;
      t = t.reboot();
      const s = t.terminal.state();
      if (s.settlement) phases.add(s.settlement.phase);
      if (s.batch === batch && (!s.settlement || s.settlement.phase !== "closing"))
        assert.is(t.terminal.journal().length, counted, `cut ${k}: the journal is whole before closing (${JSON.stringify(s.settlement)})`);
      if (s.batch === batch || s.settlement) {
        if (!s.signedIn) assert.is((await t.terminal.signIn()).status, "approved");
        st = await t.terminal.settle({ supervisorPassword: "123456" });
        assert.is(st.batch, batch, `cut ${k}`);
        if (s.settlement) assert.is(st.resumedFrom, s.settlement.phase);
      } else {
        // The cut came after the batch closed (sign-out / sign-in): nothing to resume.
        assert.is(t.terminal.journal().length, 0);
        assert.is(t.terminal.lastSettlement()!.batch, batch);
      }
      // Host and terminal agree, once.
      const host = w.host;
      const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, pad(batch));
      assert.is(rec.upload.details.size, counted, `cut ${k}: every counted transaction uploaded once`);
      assert.is(rec.upload.ended!.declaredCount, counted);
      assert.equal(rec.upload.ended!.result, ["1", "1"]);
      assert.equal(rec.settlement!.result, ["1", "1"], `cut ${k}: reconciled after the upload`);
      assert.is(rec.settlement!.reconciledByUpload, true);
      assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, batch: pad(batch), kind: "offline-sale" }).length, 3, `cut ${k}: offline sales once`);
      const ledgerAfter = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length;
      assert.is(ledgerAfter, ledgerBefore + 3, `cut ${k}: the 3 offline sales are the only new ledger entries`);
      const term = host.terminals.get(DEFAULT_TERMINAL_ID)!;
      assert.is(term.openBatch, pad(batch + 1), `cut ${k}: the host's batch advanced once`);
      assert.is(t.terminal.state().batch, batch + 1, `cut ${k}: the terminal's batch advanced once`);
      assert.is(t.terminal.journal().length, 0);
      assert.is(t.terminal.state().settlement, null);
      assert.is(t.terminal.lastSettlement()!.uploaded, counted);
    } finally {
      await w.host.close();
    }
  }
  console.log(`    settlement with upload: ${total} flash writes; a cut at each of them survived: ${cuts}; steps seen after a cut: ${[...phases].join(", ")}`);
  assert.ok(cuts >= 20 && cuts === total, `${cuts} cuts for ${total} writes`);
  for (const p of ["started", "uploading", "upload-end", "resettle", "closing"]) assert.ok(phases.has(p), `a cut left the settlement at ${p}`);
});

test.run();
