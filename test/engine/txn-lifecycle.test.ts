/**
 * The terminal's whole life in the embedded engine against the acquirer host over TCP: activation (TMK under the
 * PED's factory transport key) -> sign-in (working keys, KCVs checked in the PED) -> operator sign-in -> sale
 * (swiped, PIN on the PED) -> void -> refund -> balance -> pre-auth -> completion -> reprint -> settlement; the
 * host's ledger compared with the terminal's journal field by field; the slips on the virtual printer.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv } from "node:crypto";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_MERCHANT_ID, DEFAULT_MERCHANT_NAME, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { startTerminal, type TerminalRun } from "./fixtures/txn-driver.ts";

let host: AcquirerHost;
let run: TerminalRun;
const debit = TEST_CARDS.debit;
const credit = TEST_CARDS.credit;
const pins = { [debit.pan]: debit.pin, [credit.pan]: credit.pin };

test.before(async () => {
  host = await createAcquirerHost();
  run = startTerminal({ pins });
});
test.after(async () => {
  await host.close();
});

test("a full lifecycle: both sides agree, slips printed, settlement balanced", async () => {
  const a = run.agent;
  const wall = Date.now();
  const boot = await a.call("boot");
  assert.is(boot.state.activated, false);
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });

  const act = await a.call("activate", { code: DEFAULT_ACTIVATION_CODE });
  assert.equal([act.status, act.terminalId, act.merchantId, act.merchantName], ["approved", DEFAULT_TERMINAL_ID, DEFAULT_MERCHANT_ID, DEFAULT_MERCHANT_NAME]);
  assert.ok(run.ped.keyInfo(1), "TMK in slot 1 of the PED");
  assert.is(run.ped.keyInfo(1)!.kcv, host.terminals.keysHex(DEFAULT_TERMINAL_ID)!.tmkKcv);

  const si = await a.call("signIn");
  assert.is(si.status, "approved", JSON.stringify(si));
  const keys = host.terminals.keysHex(DEFAULT_TERMINAL_ID)!;
  // The PED holds the host's new working keys in the bank the first sign-in switched to (1: PIK 12, MAK 13):
  // same check values as the host's clear keys (node:crypto DES), nothing in bank 0.
  assert.is(run.ped.keyInfo(12)!.kcv, kcvOf(keys.pik!));
  assert.is(run.ped.keyInfo(13)!.kcv, kcvOf(keys.mak!));
  assert.is(run.ped.keyInfo(13)!.algorithm, "des");
  assert.is(run.ped.keyInfo(2), undefined);
  await a.call("operatorSignIn", { no: "01", password: "0000" });

  const t0 = (await a.call("time")).monotonic;
  run.swipeNext(debit);
  const sale = await a.call("sale", { amount: 12345, card: { swipe: true }, pin: true });
  const tSale = (await a.call("time")).monotonic - t0;
  assert.is(sale.status, "approved", JSON.stringify(sale));
  assert.is(sale.text, "承兑或交易成功");
  assert.ok(sale.printed, `printed: ${sale.printError}`);
  const v = await a.call("void", { trace: sale.record.stan, supervisorPassword: "123456" });
  assert.is(v.status, "approved", JSON.stringify(v));
  const sale2 = await a.call("sale", { amount: 8800, card: { track2: credit.track2 }, pin: true });
  assert.is(sale2.status, "approved", JSON.stringify(sale2));
  const rf = await a.call("refund", { amount: 3000, card: { track2: credit.track2 }, original: { rrn: sale2.record.rrn, date: sale2.record.hostDate }, supervisorPassword: "123456" });
  assert.is(rf.status, "approved", JSON.stringify(rf));
  const bal = await a.call("balance", { card: { track2: debit.track2 }, pin: true });
  assert.is(bal.status, "approved", JSON.stringify(bal));
  const expectedBalance = host.accounts.get(debit.pan)!.balance;
  assert.is(bal.balance.amount, expectedBalance, "field 54 balance = the host's account");
  const pa = await a.call("preAuth", { amount: 20000, card: { track2: debit.track2 }, pin: true });
  assert.is(pa.status, "approved", JSON.stringify(pa));
  assert.ok(pa.record.authCode.length > 0);
  const co = await a.call("completion", { trace: pa.record.stan, amount: 21000 });
  assert.is(co.status, "approved", JSON.stringify(co));
  const again = await a.fails("completion", { trace: pa.record.stan, amount: 100 });
  assert.is(again.code, "E_ORIGINAL_CLOSED");
  const rp = await a.call("reprint");
  assert.is(rp.stan, co.record.stan);

  // Both sides: every journal record of the batch has its ledger entry with the same STAN, RRN, amount, code, state.
  const journal: any[] = await a.call("journal");
  const ledger = host.ledger.entries({ terminalId: DEFAULT_TERMINAL_ID });
  const stateMap: Record<string, string> = { approved: "approved", voided: "voided", declined: "declined" };
  assert.is(journal.length, ledger.length, `journal ${journal.length} vs ledger ${ledger.length}`);
  for (const j of journal) {
    const l = ledger.find((e) => Number(e.stan) === j.stan && Number(e.batch) === j.batch);
    assert.ok(l, `ledger entry for STAN ${j.stan}`);
    assert.is(l!.rrn, j.rrn, `RRN of STAN ${j.stan}`);
    assert.is(l!.amount, j.amount, `amount of STAN ${j.stan}`);
    assert.is(l!.responseCode, j.responseCode);
    assert.is((l!.authCode ?? "").trim(), j.authCode);
    const hostState = l!.state === "completed" || l!.state === "refunded" ? "approved" : l!.state;
    assert.is(hostState, stateMap[j.state] ?? j.state, `state of STAN ${j.stan} (${j.kind})`);
  }

  // Slips: a sale's merchant copy with the masked PAN, PIN verified, and the reprint marked.
  const text = run.printer.text().join("\n");
  assert.match(text, /POS签购单/);
  assert.match(text, /621483\*{9}8900 \/S/);
  assert.match(text, /消费\(SALE\)/);
  assert.match(text, /RMB 123\.45/);
  assert.match(text, /密码验证 PIN VERIFIED/);
  assert.match(text, /重打印 REPRINT/);
  assert.match(text, new RegExp(`参考号\\(REF NO\\):${sale.record.rrn}`));
  assert.ok(!text.includes(debit.pan), "no full PAN on paper");

  const st = await a.call("settle", { supervisorPassword: "123456" });
  assert.ok(st.balanced, JSON.stringify(st));
  const after = await a.call("state");
  assert.is(after.batch, st.newBatch);
  assert.is(after.journalCount, 0);
  const tEnd = (await a.call("time")).monotonic;
  const r = await run.exit();
  assert.is(r.status, "exit", r.error + "\n" + run.logs.join("\n"));
  console.log(`    lifecycle: 4G bring-up ${boot.t} virtual ms, then activation .. settlement ${tEnd - boot.t} virtual ms (sale ${tSale} ms); ${Date.now() - wall} real ms for the whole run`);
});

/** KCV of a DES/2-key-3DES key from its hex, with node:crypto (independent of the core). */
function kcvOf(keyHex: string): string {
  let k = Buffer.from(keyHex, "hex");
  if (k.length === 8) k = Buffer.concat([k, k]);
  const c = createCipheriv("des-ede", k, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.alloc(8)), c.final()]).subarray(0, 4).toString("hex").toUpperCase();
}

test.run();
