/**
 * Every response code of the table (spec §8, firmware/cup/response-codes.ts) and three unknown ones, answered by
 * the acquirer host to a sale, through the terminal in the embedded engine: the status, the Chinese text, the
 * action; codes that ask for a new sign-in make the terminal sign in again at once; 98 is also reversed (the
 * reverseOnCodes parameter); unknown codes show their raw value, are logged, decline, and the next sale works.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createAcquirerHost, type AcquirerHost } from "../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, DEFAULT_TERMINAL_ID, TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { knownResponseCodes, responseCode } from "../../firmware/cup/response-codes.ts";
import { startTerminal, type TerminalRun } from "./fixtures/txn-driver.ts";

let host: AcquirerHost;
let run: TerminalRun;
const card = { pan: TEST_CARDS.credit.pan, expiry: TEST_CARDS.credit.expiry };
const UNKNOWN = ["Z9", "B7", "5X"];

test.before(async () => {
  host = await createAcquirerHost();
  run = startTerminal();
  const a = run.agent;
  await a.call("boot", { printer: false });
  await a.call("configure", { hostAddress: "127.0.0.1", hostPort: host.port });
  assert.is((await a.call("activate", { code: DEFAULT_ACTIVATION_CODE })).status, "approved");
  assert.is((await a.call("signIn")).status, "approved");
  await a.call("operatorSignIn", { no: "01", password: "0000" });
});
test.after(async () => {
  await run.exit();
  await host.close();
});

const codes = [...knownResponseCodes().filter((c) => c !== "00"), ...UNKNOWN];

test(`${codes.length} codes (${knownResponseCodes().length - 1} known + ${UNKNOWN.length} unknown): text, action, re-sign-in, reversal`, async () => {
  const a = run.agent;
  const seen: string[] = [];
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    const amount = 1000 + i;
    const rule = host.rules.add({ match: { mti: "0200", type: "22", amount }, action: { respond: code }, times: 1 });
    const signIns = a.events.filter((e) => e.event === "signin").length;
    const r = await a.call("sale", { amount, card });
    host.rules.remove(rule.id);
    const want = responseCode(code);
    assert.is(r.status, "declined", `${code}: ${JSON.stringify(r)}`);
    assert.is(r.code, code);
    assert.is(r.text, want.zh, code);
    assert.is(r.action, want.action, code);
    assert.is(r.known, !UNKNOWN.includes(code), code);
    if (UNKNOWN.includes(code)) assert.match(r.next, /应答码.*acquirer/);
    else assert.ok(r.next.length > 4, `${code}: a next step`);
    if (want.action === "sign-in") {
      assert.is(r.resignedIn, true, `${code}: signed in again (${r.resignInError})`);
      assert.is(a.events.filter((e) => e.event === "signin").length, signIns + 1, `${code}: one sign-in`);
    } else assert.is(r.resignedIn, undefined, code);
    if (code === "98") {
      assert.is(r.reversal, "sent", "98 is reversed as well");
      assert.is(r.record.state, "reversed");
      assert.is(host.ledger.reversals.filter((x) => Number(x.stan) === r.record.stan).length, 1);
    } else {
      assert.is(r.reversal, "none", code);
      assert.is(r.record.state, "declined", code);
      assert.is((await a.call("state")).reversalPending, null, `${code}: no reversal left`);
    }
    // The host declined it too.
    const l = host.ledger.byStan(DEFAULT_TERMINAL_ID, "000001", String(r.record.stan).padStart(6, "0"));
    assert.ok(l && l.responseCode === code, `${code}: ledger ${JSON.stringify(l)}`);
    seen.push(`${code}=${r.action}`);
  }
  for (const u of UNKNOWN) {
    assert.ok(run.logs.some((l) => l.includes(`unknown response code "${u}"`)), `logged ${u}`);
    assert.is(responseCode(u).zh, `交易失败（应答码 ${u}）`);
  }
  // The flow goes on: an approved sale after all of them.
  const ok = await a.call("sale", { amount: 5, card });
  assert.is(ok.status, "approved", JSON.stringify(ok));
  console.log(`    ${seen.length} codes: ${seen.join(" ")}`);
});

test.run();
