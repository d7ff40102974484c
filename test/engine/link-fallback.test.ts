/**
 * The link manager with 4G (eUICC) and dial-up in the embedded engine: every operator profile fails
 * (arrears, no service, PDP refused) -> each is tried -> dial-up connects through the virtual Hayes
 * modem to a real 127.0.0.1 peer and bytes go both ways; the next connect goes to dial-up first. When
 * the dial-up line is busy or has no dial tone the connect fails with a LinkError whose evidence holds
 * every link's diagnosis. Other 4G causes (no SIM, PIN, no signal, weak signal) are diagnosed too.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G, NO_SIM, PlainSim, chinaMobileProfile, type Modem4GOptions, type SimProfile } from "../../boards/sim/devices/modem4g.ts";
import { Euicc, chinaProfiles } from "../../boards/sim/devices/euicc.ts";
import { DialupModemDevice, type LineState } from "../../boards/sim/devices/dialup.ts";
import { startPeers, type Peers } from "../../boards/sim/devices/modem/peers.ts";

let peers: Peers;
test.before(async () => {
  peers = await startPeers();
});
test.after(async () => {
  await peers.close();
});

interface Entry {
  t: number;
  link: string;
  step: string;
  outcome: string;
  code?: string;
  detail: string;
}

async function scenario(opts: { network?: Array<SimProfile["network"]>; line?: LineState; modem?: Modem4GOptions; plainSim?: boolean }) {
  const modem = new Modem4G({ routes: peers.routes, seed: 4, ...opts.modem });
  const euicc = opts.plainSim ? undefined : new Euicc({ profiles: chinaProfiles(opts.network ?? ["denied", "no-service", "pdp-reject"]) }).insertInto(modem);
  const echo = peers.routes["203.0.113.5:5000"]!;
  const dialup = new DialupModemDevice({ line: opts.line ?? "ok", numbers: { "95516": echo, "95588": echo } });
  const r = await runEntry("test/engine/fixtures/link-fallback.ts", { serial: { "sim:modem": modem, "sim:dialup": dialup } });
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  const entries = r.logs.filter((l) => l.startsWith("LOG ")).map((l) => JSON.parse(l.slice(4)) as Entry);
  const line = (p: string) => r.logs.find((l) => l.startsWith(p + " ")) ?? `(no ${p} in)\n${r.logs.join("\n")}`;
  const error = (p: string) => {
    const l = line(p);
    const json = / (\{.*\}) t=\d+$/.exec(l);
    return { code: l.split(" ")[1], evidence: json ? (JSON.parse(json[1]!) as { attempts: Array<{ link: string; code: string; cause: string; evidence: Record<string, unknown>; profiles?: string[] }> }) : undefined, l };
  };
  return { r, modem, euicc, dialup, entries, line, error };
}

const steps = (list: Entry[]) => list.map((e) => `${e.link} ${e.step} ${e.outcome}${e.code ? " " + e.code : ""}`);

test("all profiles fail (arrears, no service, PDP refused) -> each tried -> dial-up connects and exchanges bytes; next time dial-up first", async () => {
  const s = await scenario({});
  const [p1, p2, p3] = chinaProfiles();
  assert.match(s.line("FIRST"), /^FIRST link=dialup connect=\d+ same$/);
  // Each profile's failure, in order, with its own cause.
  const regs = s.entries.filter((e) => e.step === "register" || e.step === "pdp");
  assert.equal(steps(regs), ["cellular register fail E_REG_DENIED", "cellular register fail E_REG_TIMEOUT", "cellular register ok", "cellular pdp fail E_PDP_FAILED"]);
  assert.equal(
    s.entries.filter((e) => e.step === "esim.enable").map((e) => e.detail),
    [`${p2!.iccid} 中国联通`, `${p3!.iccid} 中国电信`],
  );
  const exhausted = s.entries.find((e) => e.step === "esim.exhausted")!;
  assert.is(exhausted.detail, `no other profile to try (${p1!.iccid}:E_REG_DENIED ${p2!.iccid}:E_REG_TIMEOUT ${p3!.iccid}:E_PDP_FAILED)`);
  const diag = s.entries.find((e) => e.step === "diagnosis")!;
  assert.is(diag.code, "E_LINK_REG_DENIED");
  const tail = s.entries.slice(s.entries.indexOf(diag));
  assert.equal(steps(tail).slice(0, 4), ["cellular diagnosis fail E_LINK_REG_DENIED", "dialup dial.init ok", "dialup dial ok", "dialup connected ok"]);
  assert.match(tail[2]!.detail, /^95516 CONNECT 2400 \(for 203\.0\.113\.5:5000\)$/);
  // The bytes crossed the dial-up bridge into a real TCP connection (the echo peer got the TPDU).
  assert.ok(s.dialup.connectedPorts.length >= 1);
  assert.ok(peers.echoed.some((c) => Buffer.concat(c).subarray(2, 7).toString("hex") === "6000030000"));
  // Next connect: cellular failed a moment ago, so dial-up goes first and nothing else is tried.
  assert.match(s.line("SECOND"), /^SECOND link=dialup connect=\d+ same$/);
  const second = s.entries.slice(s.entries.findIndex((e, i) => i > 0 && e.step === "connect" && e.link === "link"));
  assert.equal(steps(second), ["link connect info", "dialup dial ok", "dialup connected ok"]);
  assert.match(second[0]!.detail, /via dialup,ethernet,cellular$/);
  // The eUICC ended on the last profile tried; every channel closed.
  assert.is(s.euicc!.openChannels, 0);
  const t = Number(/connect=(\d+)/.exec(s.line("FIRST"))![1]);
  console.log(`    all profiles failed, dial-up up after ${t} virtual ms`);
});

test("dial-up busy (both numbers) after all profiles denied: LinkError E_LINK_REG_DENIED, evidence lists the busy line", async () => {
  const s = await scenario({ network: ["denied", "denied", "denied"], line: "busy" });
  const e = s.error("FIRST");
  assert.is(e.code, "E_LINK_REG_DENIED", e.l);
  const [cell, dial, eth] = e.evidence!.attempts;
  assert.is(cell!.cause, "E_REG_DENIED");
  assert.is(cell!.evidence.stat, 3);
  assert.is(cell!.profiles!.length, 3);
  assert.is(dial!.code, "E_LINK_LINE_BUSY");
  assert.is(dial!.cause, "E_DIAL_BUSY");
  assert.is(dial!.evidence.final, "BUSY");
  // The native link hook was tried last: its own code kept as the cause.
  assert.equal([eth!.link, eth!.code, eth!.cause], ["ethernet", "E_LINK_FAILURE", "E_ETH_NO_CABLE"]);
  assert.ok(s.entries.some((x) => x.link === "ethernet" && x.step === "connect" && x.outcome === "fail" && x.code === "E_ETH_NO_CABLE"));
  // Busy: the backup number was dialled too.
  assert.equal(
    s.entries.filter((x) => x.step === "dial").map((x) => `${x.outcome} ${x.code} ${x.detail.split(" ")[0]}`),
    ["fail E_DIAL_BUSY number=95516", "fail E_DIAL_BUSY number=95588"],
  );
  assert.equal(steps(s.entries.slice(-1)), ["link failed fail E_LINK_REG_DENIED"]);
  assert.match(s.entries.at(-1)!.detail, /^cellular:E_LINK_REG_DENIED dialup:E_LINK_LINE_BUSY ethernet:E_LINK_FAILURE$/);
});

test("no dial tone (line cut or unpaid): E_LINK_NO_DIALTONE in the evidence, the backup number is not dialled", async () => {
  for (const line of ["no-dialtone", "unpaid"] as const) {
    const s = await scenario({ network: ["denied", "denied", "denied"], line });
    const e = s.error("FIRST");
    const dial = e.evidence!.attempts[1]!;
    assert.is(dial.code, "E_LINK_NO_DIALTONE", e.l);
    assert.is(dial.evidence.final, "NO DIALTONE");
    assert.match(String(dial.evidence.hint), /suspended for arrears/);
    assert.is(s.entries.filter((x) => x.step === "dial").length, 1);
  }
});

test("4G causes diagnosed: no SIM, SIM PIN, no signal, weak signal (then dial-up connects each time)", async () => {
  const cases: Array<[string, Parameters<typeof scenario>[0], string]> = [
    ["no SIM", { plainSim: true, modem: { sim: NO_SIM } }, "E_LINK_NO_SIM"],
    ["SIM PIN", { plainSim: true, modem: { sim: new PlainSim(chinaMobileProfile(), { locked: "pin" }) } }, "E_LINK_SIM_LOCKED"],
    ["no signal", { plainSim: true, modem: { rssi: 99 } }, "E_LINK_NO_SIGNAL"],
    ["weak signal", { network: ["no-service", "no-service", "no-service"], modem: { rssi: 5 } }, "E_LINK_WEAK_SIGNAL"],
    ["no service", { network: ["no-service", "no-service", "no-service"] }, "E_LINK_NO_SERVICE"],
  ];
  for (const [name, opts, code] of cases) {
    const s = await scenario(opts);
    assert.match(s.line("FIRST"), /^FIRST link=dialup /, name);
    const diag = s.entries.find((e) => e.step === "diagnosis")!;
    assert.is(diag.code, code, `${name}: ${JSON.stringify(diag)}`);
  }
});

test.run();
