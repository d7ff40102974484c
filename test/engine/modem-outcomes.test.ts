/**
 * Each SIM state and network outcome of the virtual EC200U gives the driver's typed error, with the
 * evidence a diagnosis layer needs (CME code, CPIN state, CSQ, CREG/CEREG stat, APN), within its
 * watchdog, and the AT channel answers afterwards.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G, NO_SIM, PlainSim, chinaMobileProfile, type Modem4GOptions } from "../../boards/sim/devices/modem4g.ts";

const ENTRY = "test/engine/fixtures/modem-outcome.ts";

async function outcome(opts: Modem4GOptions): Promise<{ line: string; evidence: Record<string, unknown>; waited: number; logs: string[]; modem: Modem4G }> {
  const modem = new Modem4G(opts);
  const r = await runEntry(ENTRY, { serial: { "sim:modem": modem } });
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  const line = r.logs.find((l) => l.startsWith("OUTCOME "))!;
  const json = /(\{.*?\})/.exec(line)?.[1];
  const evidence = json ? (JSON.parse(json) as Record<string, unknown>) : {};
  const waited = Number(/waited=(\d+)$/.exec(line)?.[1]);
  assert.ok(r.logs.includes("NEXT ok"), `the AT channel answers afterwards:\n${r.logs.join("\n")}`);
  return { line, evidence, waited, logs: r.logs, modem };
}

test("SIM ready, registered: ok with ICCID, operator and address", async () => {
  const o = await outcome({});
  assert.match(o.line, /^OUTCOME ok iccid=89860012345678901234 stat=1 op=CHINA MOBILE ip=10\./);
});

test("no SIM: E_SIM_NOT_INSERTED from +CME ERROR: 10", async () => {
  const o = await outcome({ sim: NO_SIM });
  assert.match(o.line, /^OUTCOME E_SIM_NOT_INSERTED /);
  assert.is(o.evidence.cme, 10);
  assert.is(o.evidence.command, "AT+CPIN?");
});

test("PIN-locked SIM: E_SIM_PIN_REQUIRED; a wrong PIN is E_SIM_PIN_WRONG (+CME ERROR: 16); the right one brings it up", async () => {
  const o = await outcome({ sim: new PlainSim(chinaMobileProfile(), { locked: "pin", pin: "1234" }) });
  assert.match(o.line, /^OUTCOME E_SIM_PIN_REQUIRED /);
  assert.is(o.evidence.cpin, "SIM PIN");
  assert.match(o.logs.find((l) => l.startsWith("WRONG_PIN"))!, /^WRONG_PIN E_SIM_PIN_WRONG .*"cme":16/);
  assert.match(o.logs.find((l) => l.startsWith("AFTER_PIN"))!, /^AFTER_PIN ok .* stat=1 /);
});

test("PUK-blocked SIM: E_SIM_PUK_REQUIRED", async () => {
  const o = await outcome({ sim: new PlainSim(chinaMobileProfile(), { locked: "puk" }) });
  assert.match(o.line, /^OUTCOME E_SIM_PUK_REQUIRED /);
  assert.is(o.evidence.cpin, "SIM PUK");
});

test("a SIM still initialising (+CME ERROR: 14) is waited for, not an error", async () => {
  const o = await outcome({ simInitMs: 4000 });
  assert.match(o.line, /^OUTCOME ok /);
  assert.ok(o.modem.history.filter((l) => l === "AT+CPIN?").length >= 4);
});

test("arrears / barred (network denies): E_REG_DENIED at once with stat 3 and the signal", async () => {
  const o = await outcome({ sim: new PlainSim(chinaMobileProfile({ network: "denied" })), rssi: 20 });
  assert.match(o.line, /^OUTCOME E_REG_DENIED /);
  assert.is(o.evidence.stat, 3);
  assert.is(o.evidence.eps, 3);
  assert.is(o.evidence.csq, 20);
  assert.is(o.evidence.dbm, -73);
  // Denied is final: it did not wait for the 30 s registration watchdog.
  assert.ok(o.waited < 15000, `${o.waited} ms`);
});

test("arrears the other way (registers, PDP refused): E_PDP_FAILED with the APN and the final result", async () => {
  const o = await outcome({ sim: new PlainSim(chinaMobileProfile({ network: "pdp-reject" })) });
  assert.match(o.line, /^OUTCOME E_PDP_FAILED /);
  assert.is(o.evidence.apn, "cmnet");
  assert.is(o.evidence.final, "ERROR");
  assert.is(o.evidence.command, "AT+QIACT=1");
});

test("PDP failure with a CME code, and a wrong APN: E_PDP_FAILED", async () => {
  const a = await outcome({ pdpFailure: 561 });
  assert.match(a.line, /^OUTCOME E_PDP_FAILED /);
  assert.is(a.evidence.cme, 561);
  const b = await outcome({ sim: new PlainSim(chinaMobileProfile({ apns: ["cmiot"] })) });
  assert.match(b.line, /^OUTCOME E_PDP_FAILED /);
  assert.is(b.evidence.apn, "cmnet");
});

test("no signal (CSQ 99): E_NO_SIGNAL after the registration watchdog, evidence csq 99 and stat 2", async () => {
  const o = await outcome({ rssi: 99 });
  assert.match(o.line, /^OUTCOME E_NO_SIGNAL /);
  assert.is(o.evidence.csq, 99);
  assert.is(o.evidence.dbm, undefined);
  assert.is(o.evidence.stat, 2);
  assert.ok(o.evidence.waitedMs as number >= 30000 && (o.evidence.waitedMs as number) < 34000, String(o.evidence.waitedMs));
});

test("signal but never registered (slow network): E_REG_TIMEOUT with stat 2 and the CSQ", async () => {
  const o = await outcome({ registrationMs: 10 * 60 * 1000, rssi: 5 });
  assert.match(o.line, /^OUTCOME E_REG_TIMEOUT /);
  assert.is(o.evidence.stat, 2);
  assert.is(o.evidence.csq, 5);
  assert.is(o.evidence.dbm, -103);
});

test("roaming (stat 5) counts as registered", async () => {
  const o = await outcome({ sim: new PlainSim(chinaMobileProfile({ roaming: true })) });
  assert.match(o.line, /^OUTCOME ok .* stat=5 /);
});

test("a module that never powers on: E_MODEM_NOT_READY after the ready watchdog", async () => {
  const modem = new Modem4G({ powerOnAtAttach: false });
  const r = await runEntry(ENTRY, { serial: { "sim:modem": modem } });
  const line = r.logs.find((l) => l.startsWith("OUTCOME "))!;
  assert.match(line, /^OUTCOME E_MODEM_NOT_READY /);
  const waited = Number(/waited=(\d+)$/.exec(line)![1]);
  assert.ok(waited >= 20000 && waited <= 22000, `${waited}`);
  // No answer at all, so the final AT times out too: typed, not a hang.
  assert.ok(r.logs.some((l) => l.startsWith("NEXT E_AT_TIMEOUT")), r.logs.join("\n"));
});

test.run();
