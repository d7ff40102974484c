/**
 * The Quectel driver inside the embedded engine against the virtual EC200U: power-on -> SIM ready ->
 * signal -> registered -> PDP up -> real TCP to 127.0.0.1 peers through the module (tricky bytes,
 * 5000 bytes, a peer that closes, a refused port, an unknown host) -> close.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry } from "./harness.ts";
import { Modem4G } from "../../boards/sim/devices/modem4g.ts";
import { startPeers, type Peers } from "../../boards/sim/devices/modem/peers.ts";

const ENTRY = "test/engine/fixtures/modem-flow.ts";
let peers: Peers;

test.before(async () => {
  peers = await startPeers();
});
test.after(async () => {
  await peers.close();
});

const find = (logs: string[], prefix: string) => logs.find((l) => l.startsWith(prefix)) ?? `(no ${prefix} line in)\n${logs.join("\n")}`;

test("bring-up, echo through a real socket, large transfer, peer close, refused and unknown hosts", async () => {
  const modem = new Modem4G({ routes: peers.routes, rssi: 24, seed: 3 });
  const wall = Date.now();
  const onLog = (_l: number, m: string) => {
    if (m === "DROP_PDP_NOW") modem.dropPdp(1);
  };
  const r = await runEntry(ENTRY, { serial: { "sim:modem": modem }, onLog });
  const wallMs = Date.now() - wall;
  assert.is(r.status, "exit", `${r.status} ${r.error}\n${r.logs.join("\n")}`);
  assert.is(r.exitCode, 0, r.logs.join("\n"));

  // What the driver reports is what the module was scripted with.
  const up = find(r.logs, "UP ");
  assert.match(up, /model=Quectel EC200U /);
  assert.match(up, / iccid=89860012345678901234 /);
  assert.match(up, / rssi=24 dbm=-65 /); // 27.007: -113 + 2*24
  assert.match(up, / stat=1 eps=1 op=CHINA MOBILE act=7 /);
  assert.match(up, / ip=10\.\d+\.\d+\.\d+ /);
  // Boot 3000 + SIM init 500 + registration 2000 ms of module time, polled every 2 s: about 6-8 s.
  const t = Number(/ t=(\d+)/.exec(up)![1]);
  assert.ok(t >= 5500 && t <= 9000, `bring-up took ${t} virtual ms`);

  // SUB, CR LF, "OK", "> ", ESC, NUL, 0xFF, a fake URC and RDY inside the payload came back unchanged.
  assert.match(find(r.logs, "ECHO1 "), /^ECHO1 same 1a0d0a4f4b0d0a3e201b00ff0d0a2b51495552433a2022636c6f736564222c300d0a5244590d0a$/);
  assert.match(find(r.logs, "ECHO2 "), /^ECHO2 same n=5000 sent=5039 received=5039 /);
  // The peer really received them over TCP from 127.0.0.1, in 1460-byte pieces at most.
  const got = Buffer.concat(peers.echoed[0]!);
  assert.is(got.length, 5039);
  assert.is(got.subarray(0, 12).toString("hex"), "1a0d0a4f4b0d0a3e201b00ff");
  assert.ok(peers.remotes[0]!.endsWith("127.0.0.1"), peers.remotes[0]);
  const sends = modem.history.filter((l) => l.startsWith("AT+QISEND="));
  assert.equal(sends.slice(0, 5), ["AT+QISEND=0,39", "AT+QISEND=0,1460", "AT+QISEND=0,1460", "AT+QISEND=0,1460", "AT+QISEND=0,620"]);

  // The greeter's bytes arrive, then the close is a typed error; so is a write after it.
  assert.match(find(r.logs, "GREETER "), /^GREETER HELLO END E_SOCKET_CLOSED \{"socket":0,"reason":"peer"\}.* WRITE E_SOCKET_CLOSED /);
  assert.match(find(r.logs, "CONNECT 203.0.113.5:5001 "), /E_SOCKET_CONNECT .*"socketError":566/);
  assert.match(find(r.logs, "CONNECT nowhere.example:80 "), /E_SOCKET_CONNECT .*"socketError":565/);
  assert.match(find(r.logs, "AGAIN "), /^AGAIN id=0 600001$/);
  // The network dropping the context fails the socket with its reason; without a context a connect
  // fails with 561; after AT+QIACT again sockets work.
  assert.match(find(r.logs, "PDPDEACT "), /^PDPDEACT E_SOCKET_CLOSED \{"socket":0,"reason":"pdpdeact"\}.* pdpUp=false$/);
  assert.match(find(r.logs, "NOPDP "), /E_SOCKET_CONNECT .*"socketError":561/);
  assert.match(find(r.logs, "REUP "), /^REUP ip=10\.\d+\.\d+\.\d+ 0707$/);
  assert.ok(modem.history.includes("AT+QIDEACT=1"));
  // URCs surface as driver events for the link manager: the power-on RDY, SIM ready, peer close, PDP lost.
  const events = r.logs.filter((l) => l.startsWith("EVENT ")).map((l) => l.slice(6));
  assert.ok(events.includes('{"kind":"reset","line":"RDY"}'), events.join("\n"));
  assert.ok(events.includes('{"kind":"sim","state":"READY"}'), events.join("\n"));
  assert.ok(events.includes('{"kind":"socket-closed","socket":0}'), events.join("\n"));
  assert.ok(events.includes('{"kind":"pdp-lost","contextId":1}'), events.join("\n"));
  // Every socket was closed in the module (AT+QICLOSE), none is left open.
  assert.is(modem.openSockets, 0);
  console.log(`    flow: ${r.elapsedMs} virtual ms, ${wallMs} real ms, ${modem.stats.commands} AT commands`);
});

test("SEND FAIL (module send buffer full) is retried with back-off, then the data goes through", async () => {
  const modem = new Modem4G({ routes: peers.routes });
  modem.sendFail = 2;
  const r = await runEntry(ENTRY, { serial: { "sim:modem": modem } });
  assert.is(r.exitCode, 0, r.logs.join("\n"));
  const sends = modem.history.filter((l) => l.startsWith("AT+QISEND="));
  // The first piece was offered three times (two SEND FAIL, then SEND OK).
  assert.equal(sends.slice(0, 3), ["AT+QISEND=0,39", "AT+QISEND=0,39", "AT+QISEND=0,39"]);
  assert.match(find(r.logs, "ECHO1 "), /^ECHO1 same /);
});

test.run();
