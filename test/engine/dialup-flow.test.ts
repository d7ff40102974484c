/**
 * The Hayes dial-up driver (hal/dialup) inside the embedded engine against the virtual dial-up modem
 * (boards/sim/devices/dialup.ts), whose CONNECT bridges to a real TCP peer on 127.0.0.1: init, dial,
 * bytes both ways, hang-up (+++ with guard times, then ATH), carrier loss mid-call (E_SOCKET_CLOSED),
 * and each dial result as a typed error with evidence.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { DialupModemDevice, type DialupDeviceOptions } from "../../boards/sim/devices/dialup.ts";
import { startPeers, type Peers } from "../../boards/sim/devices/modem/peers.ts";

let peers: Peers;
test.before(async () => {
  peers = await startPeers();
});
test.after(async () => {
  await peers.close();
});

const find = (logs: string[], prefix: string) => logs.find((l) => l.startsWith(prefix)) ?? `(no ${prefix} in)\n${logs.join("\n")}`;

test("dial, echo through a real TCP peer (NO CARRIER / +++ / OK text inside the payload), hang-up, carrier loss, busy, no answer, no carrier", async () => {
  const echo = peers.routes["203.0.113.5:5000"]!;
  const device = new DialupModemDevice({ numbers: { "95516": echo, "95517": { state: "busy" }, "95520": { state: "no-answer" } } });
  const onLog = (_l: number, m: string) => {
    if (m === "DROP_CARRIER_NOW") device.dropCarrier();
  };
  const r = await runEntry("test/engine/fixtures/dialup-flow.ts", { serial: { "sim:dialup": device }, onLog });
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  // Init: ATZ, AT&F, then the chained basic commands, all answered OK.
  assert.equal(device.history.slice(0, 5), ["AT", "ATZ", "AT&F", "ATE0V1Q0X4", "AT&C1&D2"]);
  // CONNECT 2400 after dial tone, 5 digits, ringing and training: about 12 s of line time.
  const c = find(r.logs, "CONNECT ");
  assert.match(c, /^CONNECT rate=2400 t=\d+$/);
  const t = Number(/t=(\d+)/.exec(c)![1]);
  assert.ok(t >= 11000 && t <= 13000, `${t}`);
  assert.is(device.history[5], "ATDT95516");
  // Payload that looks like result codes stays payload (more data followed it), both ways intact.
  assert.is(find(r.logs, "ECHO1 "), "ECHO1 same");
  assert.match(find(r.logs, "ECHO2 "), /^ECHO2 same n=3000 sent=3111 received=3111$/);
  const got = Buffer.concat(peers.echoed[0] ?? []);
  assert.ok(got.subarray(0, 16).toString("latin1").startsWith("AB\r\nNO CARRIER\r\n"), got.subarray(0, 20).toString("latin1"));
  // ... and so did the escape: the modem cannot know `+++` is one until the guard time after it.
  assert.is(got.length, 3114);
  assert.is(got.subarray(3111).toString("latin1"), "+++");
  // Hang-up: 1 s guard, +++, the modem's OK after another guard time, ATH.
  assert.match(find(r.logs, "HANGUP "), /^HANGUP how=escape t=(\d+) state=closed$/);
  const ht = Number(/t=(\d+)/.exec(find(r.logs, "HANGUP "))![1]);
  assert.ok(ht >= 2000 && ht < 4000, `hang-up took ${ht} ms`);
  assert.ok(device.history.includes("ATH"));
  assert.ok(device.stats.escapes >= 1);
  assert.match(find(r.logs, "WRITE_AFTER "), /^WRITE_AFTER E_SOCKET_CLOSED \{"number":"95516","reason":"local"\}/);
  // A second call, then the carrier drops: what came before is read, then E_SOCKET_CLOSED (carrier).
  assert.is(find(r.logs, "CALL2 "), `CALL2 ${Buffer.from("\x60\x00\x01\x00\x00PING", "latin1").toString("hex").toUpperCase()}`);
  assert.match(find(r.logs, "CARRIER "), /^CARRIER E_SOCKET_CLOSED \{"number":"95516","reason":"carrier","final":"NO CARRIER","rate":2400\} WRITE E_SOCKET_CLOSED .*"reason":"carrier".* state=closed$/);
  assert.is(find(r.logs, "CLOSE2 "), "CLOSE2 how=carrier");
  // Dial results as typed errors with the evidence.
  assert.match(find(r.logs, "DIAL 95517 "), /^DIAL 95517 E_DIAL_BUSY \{"number":"95517","command":"ATDT95517","final":"BUSY","waitedMs":\d+,"hint":"the number is busy/);
  assert.match(find(r.logs, "DIAL 95520@ "), /^DIAL 95520@ E_DIAL_NO_ANSWER \{.*"final":"NO ANSWER"/);
  assert.match(find(r.logs, "DIAL 95521 "), /^DIAL 95521 E_DIAL_NO_CARRIER \{.*"final":"NO CARRIER"/);
  // NO CARRIER for a number nobody answers comes after S7 (50 s by default).
  const nc = Number(/t=(\d+)$/.exec(find(r.logs, "DIAL 95521 "))![1]);
  assert.ok(nc >= 50000 && nc < 53000, `${nc}`);
  assert.match(find(r.logs, "BAD "), /^BAD E_DIAL_BAD_NUMBER /);
  assert.match(find(r.logs, "NEXT ok "), /"dials":5,"connects":2,"carrierLost":1,"hangups":1/);
  assert.is(device.inCall, false);
  console.log(`    dial-up flow: ${r.elapsedMs} virtual ms, device ${JSON.stringify(device.stats)}`);
});

async function once(opts: DialupDeviceOptions) {
  const device = new DialupModemDevice({ numbers: { "95516": peers.routes["203.0.113.5:5000"]! }, ...opts });
  const r = await runEntry("test/engine/fixtures/dialup-once.ts", { serial: { "sim:dialup": device } });
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  assert.ok(r.logs.includes("NEXT ok"), r.logs.join("\n"));
  return { line: find(r.logs, "DIAL "), device };
}

test("no dial tone (line unplugged or cut): E_DIAL_NO_DIALTONE with the final result and the hint", async () => {
  const { line } = await once({ line: "no-dialtone" });
  assert.match(line, /^DIAL E_DIAL_NO_DIALTONE \{"number":"95516","command":"ATDT95516","final":"NO DIALTONE","waitedMs":\d+,"hint":"no dial tone: the line is unplugged, cut, or suspended for arrears"\}/);
});

test("an unpaid line (suspended for arrears) looks the same to the modem: E_DIAL_NO_DIALTONE, evidence names arrears", async () => {
  const { line } = await once({ line: "unpaid" });
  assert.match(line, /^DIAL E_DIAL_NO_DIALTONE .*"final":"NO DIALTONE".*suspended for arrears/);
});

test("the whole line busy: E_DIAL_BUSY; a line that is fine connects", async () => {
  assert.match((await once({ line: "busy" })).line, /^DIAL E_DIAL_BUSY .*"final":"BUSY"/);
  assert.match((await once({})).line, /^DIAL ok rate=2400 /);
  assert.match((await once({ rate: 1200 })).line, /^DIAL ok rate=1200 /);
});

test.run();
