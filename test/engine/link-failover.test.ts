/**
 * The link manager (hal/link) in the embedded engine, the failover scenario: profile 1 of the
 * eUICC is in arrears (registration denied) -> the manager enables profile 2 (China Unicom), the
 * module re-reads the card, registers, takes the Unicom APN from the IMSI's PLMN, opens PDP and a real
 * TCP connection to a 127.0.0.1 peer and exchanges bytes; every step is in the diagnostic log. Then
 * the link stays up for the next connect, comes back after a module restart, and a refusing host over
 * a working link is diagnosed as host unreachable. Also: the bundle size of hal/esim + dialup + link.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as esbuild from "esbuild";
import { runEntry } from "./harness.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { Euicc, chinaProfiles } from "../../boards/sim/devices/euicc.ts";
import { startPeers, type Peers } from "../../boards/sim/devices/modem/peers.ts";
import { ROOT, loadBoard } from "../../build/board.ts";
import { UNSUPPORTED } from "../../build/build.ts";

let peers: Peers;
test.before(async () => {
  peers = await startPeers();
});
test.after(async () => {
  await peers.close();
});

interface Entry {
  seq: number;
  t: number;
  link: string;
  step: string;
  outcome: string;
  code?: string;
  detail: string;
}

const CMCC = chinaProfiles()[0]!;
const CUCC = chinaProfiles()[1]!;

test("profile 1 in arrears -> profile 2 enabled -> registered -> TCP to a 127.0.0.1 peer, every step logged; kept up; back after a restart; host unreachable", async () => {
  const modem = new Modem4G({ routes: peers.routes, seed: 9 });
  const euicc = new Euicc({ profiles: chinaProfiles(["denied", "ok", "ok"]) }).insertInto(modem);
  const onLog = (_l: number, m: string) => {
    if (m === "RESET_MODEM_NOW") modem.reset();
    // The context deactivated inside the module with no +QIURC: "pdpdeact" (a URC lost on the line).
    if (m === "SILENT_PDP_LOSS_NOW") (modem as unknown as { contexts: Map<number, { active: boolean }> }).contexts.get(1)!.active = false;
  };
  const r = await runEntry("test/engine/fixtures/link-failover.ts", { serial: { "sim:modem": modem }, onLog });
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  const line = (p: string) => r.logs.find((l) => l.startsWith(p + " ")) ?? `(no ${p} in)\n${r.logs.join("\n")}`;
  const entries = r.logs.filter((l) => l.startsWith("LOG ")).map((l) => JSON.parse(l.slice(4)) as Entry);
  const firstEnd = entries.findIndex((e) => e.step === "connected");
  const steps = (list: Entry[]) => list.map((e) => `${e.link} ${e.step} ${e.outcome}${e.code ? " " + e.code : ""}`);

  // The exchange went through (bytes back from the real peer) on the cellular link.
  const first = line("FIRST");
  assert.match(first, /^FIRST link=cellular connect=\d+ total=\d+ same$/);
  assert.equal(steps(entries.slice(0, firstEnd + 1)), [
    "link connect info",
    "cellular 4g.start ok",
    "cellular sim ok",
    "cellular iccid ok",
    "cellular signal ok",
    "cellular register fail E_REG_DENIED",
    "cellular esim.list ok",
    "cellular esim.enable ok",
    "cellular esim.refresh ok",
    "cellular sim ok",
    "cellular esim.verify ok",
    "cellular signal ok",
    "cellular register ok",
    "cellular apn ok",
    "cellular pdp ok",
    "cellular tcp ok",
    "cellular connected ok",
  ]);
  const byStep = (s: string, from = 0) => entries.slice(from).find((e) => e.step === s)!;
  // The evidence in each entry: the ICCID read, the denial (stat 3 with the signal), the profile chosen,
  // the ICCID verified after the re-read, the Unicom APN from PLMN 46001, the address.
  assert.is(byStep("iccid").detail, CMCC.iccid);
  assert.match(byStep("register").detail, /^stat=3 eps=3 cs=3 csq=24 ber=99 dbm=-65 /);
  assert.match(byStep("esim.list").detail, new RegExp(`^${CMCC.iccid}\\* ${CUCC.iccid} `));
  assert.is(byStep("esim.enable").detail, `${CUCC.iccid} 中国联通`);
  assert.is(byStep("esim.verify").detail, CUCC.iccid);
  assert.is(byStep("apn").detail, "plmn=46001 apn=3gnet");
  assert.match(byStep("pdp").detail, /^apn=3gnet ip=10\.\d+\.\d+\.\d+$/);
  assert.match(byStep("tcp").detail, /^203\.0\.113\.5:5000 id=0$/);
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.t >= entries[i - 1]!.t && entries[i]!.seq === entries[i - 1]!.seq + 1);
  // The device side agrees: the eUICC has Unicom enabled, the module was cycled and used 3gnet.
  assert.is(euicc.enabledProfile()!.iccid, CUCC.iccid);
  assert.ok(modem.history.includes('AT+QICSGP=1,1,"3gnet","","",0'), modem.history.filter((l) => l.startsWith("AT+QICSGP")).join("\n"));
  assert.ok(modem.history.indexOf("AT+CFUN=0") < modem.history.indexOf("AT+CFUN=1"));
  assert.match(line("STATUS"), new RegExp(`"iccid":"${CUCC.iccid}","apn":"3gnet".*"plmn":"46001"`));
  assert.is(peers.echoed[0]!.length > 0, true);
  assert.is(Buffer.concat(peers.echoed[0]!).subarray(2, 7).toString("hex"), "6000030000");

  // Kept up: the second connect is only a socket.
  assert.match(line("SECOND"), /^SECOND link=cellular connect=0 total=0 same$/);
  const second = entries.slice(firstEnd + 1, entries.findIndex((e, i) => i > firstEnd && e.step === "connected") + 1);
  assert.equal(steps(second), ["link connect info", "cellular tcp ok", "cellular connected ok"]);
  // The silent PDP loss: the socket open fails (+QIOPEN: 0,561), re-checked, the link comes up again.
  assert.match(line("SILENT"), /^SILENT link=cellular connect=\d+ total=\d+ same$/);
  const silentFrom = entries.findIndex((e) => e.step === "tcp" && e.outcome === "fail");
  assert.equal(steps(entries.slice(silentFrom, silentFrom + 4)), ["cellular tcp fail E_SOCKET_CONNECT", "cellular 4g.recheck info", "cellular 4g.start ok", "cellular sim ok"]);
  assert.match(entries[silentFrom]!.detail, /socketError=561/);
  assert.match(entries[silentFrom + 1]!.detail, /^E_SOCKET_CONNECT: bringing the link up again$/);
  // After the module restarted (RDY): marked lost, brought up again, on the Unicom profile the card kept.
  const lostAt = entries.findIndex((e) => e.step === "4g.lost");
  assert.ok(lostAt > firstEnd, "4g.lost logged");
  assert.match(entries[lostAt]!.detail, /module restarted \(RDY\)/);
  const third = entries.slice(lostAt);
  assert.equal(steps(third).slice(0, 10), [
    "cellular 4g.lost info",
    "link connect info",
    "cellular 4g.start ok",
    "cellular sim ok",
    "cellular iccid ok",
    "cellular signal ok",
    "cellular register ok",
    "cellular apn ok",
    "cellular pdp ok",
    "cellular tcp ok",
  ]);
  assert.match(line("THIRD"), /^THIRD link=cellular connect=\d+ total=\d+ same$/);
  // A host that refuses over a working link: checked (the PDP is up), diagnosed, typed.
  assert.match(line("REFUSED"), /^REFUSED E_LINK_HOST_UNREACHABLE \{"attempts":\[\{"link":"cellular","code":"E_LINK_HOST_UNREACHABLE","cause":"E_SOCKET_CONNECT",.*"socketError":566/);
  const recheck = entries.filter((e) => e.step === "4g.recheck").at(-1)!;
  assert.match(recheck.detail, /^PDP up \(10\.\d+\.\d+\.\d+\): the host is unreachable$/);
  assert.equal(steps(entries.slice(-2)), ["cellular diagnosis fail E_LINK_HOST_UNREACHABLE", "link failed fail E_LINK_HOST_UNREACHABLE"]);
  const failoverMs = Number(/connect=(\d+)/.exec(first)![1]);
  console.log(`    failover (arrears -> profile 2 -> TCP up): ${failoverMs} virtual ms from connect() to an open socket; ${entries.length} log entries`);
});

test("bundle size of hal/esim + hal/dialup + hal/link (minified, as in the firmware build)", async () => {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ["test/engine/fixtures/link-fallback.ts"],
    bundle: true,
    format: "iife",
    platform: "neutral",
    target: "es2021",
    supported: UNSUPPORTED,
    minify: true,
    write: false,
    metafile: true,
    outfile: "dist/test/link-size.js",
    logLevel: "silent",
    define: { __BOARD__: JSON.stringify(loadBoard("sim")), __VERSION__: '"0"' },
  });
  const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint)!;
  const areas: Record<string, number> = {};
  for (const [input, info] of Object.entries(out.inputs)) {
    const m = /^hal\/(esim|dialup|link)\//.exec(input);
    if (m) areas[m[1]!] = (areas[m[1]!] ?? 0) + info.bytesInOutput;
  }
  const total = (areas.esim ?? 0) + (areas.dialup ?? 0) + (areas.link ?? 0);
  assert.ok(areas.esim! > 0 && areas.dialup! > 0 && areas.link! > 0, JSON.stringify(areas));
  assert.ok(total < 40 * 1024, `${total} B`);
  console.log(`    minified: esim ${areas.esim} B, dialup ${areas.dialup} B, link ${areas.link} B, total ${total} B (whole fixture bundle ${out.bytes} B)`);
});

test.run();
