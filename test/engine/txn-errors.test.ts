/**
 * What goes wrong, in the embedded engine against the acquirer host: each a clear typed error (or a typed decline)
 * and nothing lost — wrong terminal / merchant numbers (length, characters; a number the host does not know),
 * a wrong activation code, working keys whose check value does not match (all-or-none: the idle PED bank erased,
 * signed out, the journal intact), a response with a bad MAC on a non-reversible inquiry, operator and supervisor
 * rules, follow-ups of unknown or already voided originals.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { ACTIVATION_CASES, DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { startTerminal, type TerminalRun } from "./fixtures/txn-driver.ts";

let host: AcquirerHost;
let run: TerminalRun;
const debit = TEST_CARDS.debit;
const card = { track2: debit.track2 };

test.before(async () => {
  host = await createAcquirerHost();
  run = startTerminal({ pins: { "*": debit.pin } });
  await run.agent.call("boot", { printer: false });
  await run.agent.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
});
test.after(async () => {
  await run.exit();
  await host.close();
});

test("before activation: transactions refused (E_NOT_ACTIVATED); a wrong activation code declines A1 with the next step", async () => {
  const a = run.agent;
  assert.is((await a.fails("signIn")).code, "E_NOT_ACTIVATED");
  const r = await a.call("activate", { code: ACTIVATION_CASES.wrongCode.code });
  assert.is(r.status, "declined");
  assert.is(r.code, "A1");
  assert.is(r.text, "激活码错误");
  assert.match(r.next, /重新输入/);
  const st = await a.call("state");
  assert.is(st.activated, false);
  assert.is(st.terminalId, "");
  assert.is(run.ped.keyInfo(1), undefined, "no TMK loaded");
  const ok = await a.call("activate", { code: DEFAULT_ACTIVATION_CODE });
  assert.is(ok.status, "approved");
});

test("terminal / merchant numbers: wrong length or characters are typed errors with clear messages; nothing changes", async () => {
  const a = run.agent;
  const before = await a.call("params");
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ terminalId: "1000001" }, "E_PARAM_TERMINAL_ID", /终端号应为8位，输入了7位.*terminal number must be 8 characters, got 7/],
    [{ terminalId: "100000011" }, "E_PARAM_TERMINAL_ID", /got 9/],
    [{ terminalId: "1000 001" }, "E_PARAM_TERMINAL_ID", /digits and letters: character 5/],
    [{ merchantId: "89810001234567" }, "E_PARAM_MERCHANT_ID", /商户号应为15位.*merchant number must be 15 characters, got 14/],
    [{ merchantId: "89810001234567-" }, "E_PARAM_MERCHANT_ID", /character 15/],
    [{ hostAddress: "host name" }, "E_PARAM_HOST", /character 5/],
    [{ tpdu: "60000300" }, "E_PARAM_TPDU", /10 digits/],
  ];
  for (const [change, code, msg] of cases) {
    const e = await a.fails("configure", change);
    assert.is(e.code, code, JSON.stringify(change));
    assert.match(e.message, msg);
  }
  assert.is((await a.fails("configure", { hostPort: 70000 })).code, "E_PARAM_PORT");
  assert.equal(await a.call("params"), before, "parameters unchanged");
});

test("a terminal number the host does not know: the sign-in is declined with the host's code and text, then back", async () => {
  const a = run.agent;
  await a.call("configure", { terminalId: "10009999" });
  const r = await a.call("signIn");
  assert.is(r.status, "declined", JSON.stringify(r));
  assert.ok(["97", "03", "12"].includes(r.code), r.code);
  assert.ok(r.text.length > 0);
  assert.is((await a.call("state")).signedIn, false);
  await a.call("configure", { terminalId: DEFAULT_TERMINAL_ID });
  assert.is((await a.call("signIn")).status, "approved");
});

test("working keys whose KCV does not match: E_KCV_MISMATCH, nothing installed, signed out, the journal kept", async () => {
  const a = run.agent;
  await a.call("operatorSignIn", { no: "01", password: "0000" });
  const sale = await a.call("sale", { amount: 1500, card, pin: true });
  assert.is(sale.status, "approved");
  const st = await a.call("state");
  const activeBank = run.ped.keyInfo(2) && run.ped.keyInfo(12) ? "both" : run.ped.keyInfo(2) ? "0" : "1";
  // The host's record of this terminal's TMK changes: its next keys come wrapped under another TMK.
  const t = host.terminals.get(DEFAULT_TERMINAL_ID)!;
  const realTmk = t.tmk;
  t.tmk = Uint8Array.from(Buffer.from("0123456789ABCDEF0123456789ABCDEF", "hex"));
  const e = await a.fails("signIn");
  t.tmk = realTmk;
  assert.is(e.code, "E_KCV_MISMATCH", e.message);
  assert.match(e.message, /none installed/);
  const after = await a.call("state");
  assert.is(after.signedIn, false);
  assert.is(after.journalCount, st.journalCount, "journal kept");
  assert.is((await a.fails("sale", { amount: 100, card, pin: true })).code, "E_NOT_SIGNED_IN");
  // The idle bank the failed sign-in was loading holds nothing.
  const idle = activeBank === "0" ? [12, 13] : [2, 3];
  if (activeBank !== "both") for (const s of idle) assert.is(run.ped.keyInfo(s), undefined, `slot ${s} erased`);
  assert.is((await a.call("signIn")).status, "approved");
  const again = await a.call("sale", { amount: 100, card, pin: true });
  assert.is(again.status, "approved");
  const journal: any[] = await a.call("journal");
  assert.ok(journal.some((j) => j.stan === sale.record.stan && j.state === "approved"), "the first sale is still there");
});

test("a bad MAC on a balance inquiry (not reversible): E_MAC_MISMATCH, recorded as failed, no reversal", async () => {
  const a = run.agent;
  const rule = host.rules.add({ match: { mti: "0200", type: "01" }, action: { corruptMac: true }, times: 1 });
  const e = await a.fails("balance", { card, pin: true });
  host.rules.remove(rule.id);
  assert.is(e.code, "E_MAC_MISMATCH");
  assert.is(e.reversal, "none");
  assert.is(e.record.state, "failed");
  assert.is((await a.call("state")).reversalPending, null);
});

test("operators and supervisors: wrong password, rights for void/refund, unknown and voided originals", async () => {
  const a = run.agent;
  assert.is((await a.fails("operatorSignIn", { no: "01", password: "1111" })).code, "E_OPERATOR_PASSWORD");
  assert.is((await a.fails("operatorSignIn", { no: "07", password: "1111" })).code, "E_OPERATOR_UNKNOWN");
  await a.call("operatorSignIn", { no: "01", password: "0000" });
  const sale = await a.call("sale", { amount: 2500, card, pin: true });
  assert.is((await a.fails("void", { trace: sale.record.stan })).code, "E_OPERATOR_RIGHTS");
  assert.is((await a.fails("void", { trace: sale.record.stan, supervisorPassword: "000000" })).code, "E_OPERATOR_PASSWORD");
  assert.is((await a.fails("void", { trace: 999, supervisorPassword: "123456" })).code, "E_ORIGINAL_NOT_FOUND");
  assert.is((await a.call("void", { trace: sale.record.stan, supervisorPassword: "123456" })).status, "approved");
  assert.is((await a.fails("void", { trace: sale.record.stan, supervisorPassword: "123456" })).code, "E_ORIGINAL_VOIDED");
  assert.is((await a.fails("refund", { amount: 100, card, original: { rrn: "123", date: "1122" }, supervisorPassword: "123456" })).code, "E_ORIGINAL_INPUT");
});

test.run();
