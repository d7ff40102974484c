/**
 * The batch in the embedded engine (QuickJS, the simulator's 4G module with real TCP to the acquirer host):
 * - offline sales during a link outage (store-and-forward: uploaded once when the link is back / before
 *   settlement), a deliberate mismatch (the host lost a sale from its totals) -> 0500 answered "not balanced" ->
 *   batch upload of every counted transaction + end -> 0500 again, balanced; the settlement report printed and
 *   reprinted; inquiry and reprint of any slip of the batch; sign-out, then sign-in again by the parameter;
 * - a reset at every step of the settlement (before the 0500, after it left, after its result, during the upload,
 *   before the upload end, before the second 0500, before the journal is cleared, after it): each boot resumes
 *   where the store says, nothing lost (the journal whole until closing), nothing counted twice on the host.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { startTerminal, type TerminalRun } from "./fixtures/txn-driver.ts";

const debit = TEST_CARDS.debit;
const credit = TEST_CARDS.credit;
const card = { track2: debit.track2 };
const pad = (n: number) => String(n).padStart(6, "0");
let host: AcquirerHost;

test.before.each(async () => {
  host = await createAcquirerHost();
});
test.after.each(async () => {
  await host.close();
});

async function ready(run: TerminalRun, params: Record<string, unknown> = {}): Promise<void> {
  const a = run.agent;
  await a.call("boot");
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port, offlineFloorLimit: 5000, ...params });
  assert.is((await a.call("activate", { code: DEFAULT_ACTIVATION_CODE })).status, "approved");
  assert.is((await a.call("signIn")).status, "approved");
  await a.call("operatorSignIn", { no: "01", password: "0000" });
}

/** 4 sales, a void, 2 offline sales during an outage; the host then loses the 2nd sale from its totals. */
async function batchOf(run: TerminalRun): Promise<{ batch: number; records: number; stans: number[] }> {
  const a = run.agent;
  const stans: number[] = [];
  for (const amount of [1100, 2200, 3300, 4400]) {
    const s = await a.call("sale", { amount, card, pin: true });
    assert.is(s.status, "approved");
    stans.push(s.record.stan);
  }
  assert.is((await a.call("void", { trace: stans[0], supervisorPassword: "123456" })).status, "approved");
  await a.call("link", { up: false });
  const refused = await a.fails("sale", { amount: 100, card, pin: true });
  assert.is(refused.code, "E_HOST_UNREACHABLE");
  for (const amount of [990, 4990]) {
    const o = await a.call("offlineSale", { amount, card: { track2: credit.track2 } });
    assert.is(o.status, "approved");
    assert.is(o.code, "Y1");
  }
  assert.is((await a.fails("offlineSale", { amount: 5001, card })).code, "E_OFFLINE_LIMIT");
  const st = await a.call("state");
  assert.is(st.offlinePending, 2);
  await a.call("link", { up: true });
  const batch = st.batch;
  host.ledger.byStan(DEFAULT_TERMINAL_ID, pad(batch), pad(stans[1]!))!.state = "declined";
  // 4 sales + void + the failed one + 2 offline.
  return { batch, records: 8, stans };
}

test("offline sales, a mismatch, batch upload, settlement again: balanced; report, reprints, sign-out and sign-in", async () => {
  const run = startTerminal({ pins: { "*": debit.pin } });
  await ready(run);
  const a = run.agent;
  const { batch, stans } = await batchOf(run);
  // Inquiry and reprint of any slip of the batch.
  const inq = await a.call("inquiry", { trace: stans[2] });
  assert.is(inq.amount, 3300);
  assert.is(inq.state, "approved");
  const before = run.printer.text().length;
  const rp = await a.call("reprintTrace", { trace: stans[0] });
  assert.is(rp.state, "voided");
  const slip = run.printer.text().slice(before).join("\n");
  assert.match(slip, /REPRINT/);
  assert.match(slip, new RegExp(pad(stans[0]!)));
  assert.is((await a.fails("inquiry", { trace: 999 })).code, "E_TXN_NOT_FOUND");
  const p0 = run.printer.text().length;
  const st = await a.call("settle", { supervisorPassword: "123456" });
  assert.is(st.batch, batch);
  assert.equal(st.result, [2, 1], "the host disagreed on the domestic half");
  assert.is(st.balanced, false);
  assert.is(st.uploaded, 7, "4 sales, the void, 2 offline sales");
  assert.equal(st.uploadResult, [1, 1]);
  assert.equal(st.finalResult, [1, 1], "balanced after the upload");
  assert.equal(st.terminalTotals.domestic, { debitAmount: 1100 + 2200 + 3300 + 4400 + 990 + 4990, debitCount: 6, creditAmount: 1100, creditCount: 1, result: 0 });
  assert.is(st.printed, true);
  assert.is(st.signOut, "00");
  assert.is(st.signIn.status, "approved");
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, pad(batch));
  assert.is(rec.upload.details.size, 7);
  assert.is(rec.settlement!.reconciledByUpload, true);
  assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, kind: "offline-sale" }).length, 2, "each offline sale once");
  const report = run.printer.text().slice(p0).join("\n");
  if (process.env.SHOW_REPORT) console.log(report);
  assert.match(report, /结算单/);
  assert.match(report, /对账不平 NOT BALANCED/);
  assert.match(report, /批上送后\(AFTER UPLOAD\):\n  对账平 BALANCED/);
  for (const line of report.split("\n")) assert.ok(!line.startsWith("T") && !line.startsWith("ED"), `no wrapped line: ${JSON.stringify(line)}`);
  console.log(`    batch ${batch}: terminal ${JSON.stringify(st.terminalTotals.domestic)}; host totals ${JSON.stringify(host.ledger.totals(DEFAULT_TERMINAL_ID, pad(batch)).domestic)}; uploaded ${st.uploaded}`);
  const s2 = await a.call("state");
  assert.is(s2.batch, batch + 1);
  assert.is(s2.journalCount, 0);
  assert.is(s2.signedIn, true);
  const p1 = run.printer.text().length;
  assert.is((await a.call("reprintSettlement")).batch, batch);
  assert.match(run.printer.text().slice(p1).join("\n"), /重打印 REPRINT/);
  // The next batch works.
  assert.is((await a.call("sale", { amount: 100, card, pin: true })).record.batch, batch + 1);
  // Sign-in by hand when autoSignIn is off.
  await a.call("configure", { autoSignIn: false });
  const st2 = await a.call("settle", { supervisorPassword: "123456" });
  assert.is(st2.signIn, undefined);
  assert.is((await a.call("state")).signedIn, false);
  assert.is((await a.fails("sale", { amount: 100, card, pin: true })).code, "E_NOT_SIGNED_IN");
  assert.is((await a.call("signIn")).status, "approved");
  await run.exit();
});

test("a reset at every step of the settlement: each boot resumes, nothing lost, nothing counted twice", async () => {
  const run = startTerminal({ pins: { "*": debit.pin }, maxBoots: 16 });
  await ready(run);
  const a = run.agent;
  const { batch, records } = await batchOf(run);
  const ledgerBefore = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length;
  const steps: Array<{ arm: Record<string, string>; expect: string | null }> = [
    { arm: { event: "offline", detail: "uploaded" }, expect: null },
    { arm: { event: "settlement", detail: "started" }, expect: "started" },
    { arm: { event: "sent", mti: "0500" }, expect: "started" },
    { arm: { event: "settlement", detail: "uploading 0/" }, expect: "uploading" },
    { arm: { event: "settlement", detail: "uploading 3/" }, expect: "uploading" },
    { arm: { event: "settlement", detail: "upload-end" }, expect: "upload-end" },
    { arm: { event: "sent", mti: "0320" }, expect: "upload-end" },
    { arm: { event: "settlement", detail: "resettle" }, expect: "resettle" },
    { arm: { event: "settlement", detail: "closing" }, expect: "closing" },
  ];
  let resets = 0;
  for (const s of steps) {
    await a.call("armReset", s.arm);
    const gone = await a.fails("settle", { supervisorPassword: "123456" });
    assert.is(gone.code, "E_AGENT_GONE", `${JSON.stringify(s.arm)}: ${gone.message}`);
    resets++;
    await a.whenReady();
    const b = await a.call("boot");
    const state = b.state;
    assert.is(state.settlement ? state.settlement.phase : null, s.expect, `after the reset at ${JSON.stringify(s.arm)}: ${JSON.stringify(state.settlement)}`);
    assert.is(state.journalCount, records, `the journal whole after the reset at ${JSON.stringify(s.arm)}`);
    if (s.expect === "uploading" && s.arm.detail === "uploading 3/") assert.is(state.settlement.uploaded, 3);
    if (!state.signedIn) assert.is((await a.call("signIn")).status, "approved");
    // No new transaction while a settlement is half done.
    if (state.settlement) {
      await a.call("operatorSignIn", { no: "01", password: "0000" });
      assert.is((await a.fails("sale", { amount: 100, card, pin: true })).code, "E_SETTLEMENT_PENDING");
    }
  }
  const st = await a.call("settle", { supervisorPassword: "123456" });
  assert.is(st.resumedFrom, "closing");
  assert.is(st.batch, batch);
  assert.equal(st.finalResult, [1, 1]);
  const rec = host.ledger.batch(DEFAULT_TERMINAL_ID, pad(batch));
  assert.is(rec.upload.details.size, 7, "every counted transaction uploaded, once");
  assert.is(rec.upload.ended!.declaredCount, 7);
  assert.equal(rec.settlement!.result, ["1", "1"]);
  assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID, kind: "offline-sale" }).length, 2, "each offline sale once");
  assert.is(host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID }).length, ledgerBefore + 2, "no other new ledger entry");
  assert.is(host.terminals.get(DEFAULT_TERMINAL_ID)!.openBatch, pad(batch + 1), "the host's batch advanced once");
  const end = await a.call("state");
  assert.is(end.batch, batch + 1, "the terminal's batch advanced once");
  assert.is(end.journalCount, 0);
  assert.is(end.settlement, null);
  console.log(`    ${resets} resets during the settlement of batch ${batch}, ${run.agent.boots} boots; uploaded ${rec.upload.details.size}; host result ${rec.settlement!.result.join("")}`);
  await run.exit();
});

test.run();
