/** Diagnosis rules, the flash log ring (wrap, power cuts, sanitizing) and the CBOR export read back by the desk tool. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { diagnose } from "../../../firmware/diag/diagnose.ts";
import { causeIds } from "../../../firmware/diag/causes.ts";
import { LogRing, sanitize } from "../../../firmware/diag/log-ring.ts";
import { diagExport } from "../../../firmware/diag/export.ts";
import { knownResponseCodes } from "../../../firmware/cup/response-codes.ts";
import { renderExport } from "../../../boards/sim/diag-cli.ts";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { rng } from "../../support.ts";

class PowerCut extends Error {}
function nativeFlash(sim: SimFlash): Natives.Flash {
  return {
    sectorSize: sim.sectorSize,
    sectorCount: sim.sectorCount,
    read: (o, n, into) => (into ? (into.set(sim.read(o, n)), into) : sim.read(o, n)),
    program: (o, d) => {
      sim.program(o, d);
      if (sim.takePowerCut()) throw new PowerCut();
    },
    erase: (s) => {
      sim.erase(s);
      if (sim.takePowerCut()) throw new PowerCut();
    },
  };
}

test("the failures merchants hit map to their causes", () => {
  const cases: Array<[Parameters<typeof diagnose>[0], string]> = [
    [{ operation: "activation", responseCode: "A1" }, "activation-code-wrong"],
    [{ operation: "activation", responseCode: "A2" }, "activation-revoked"],
    [{ operation: "activation", responseCode: "A3" }, "merchant-not-qualified"],
    [{ operation: "activation", responseCode: "90" }, "host-maintenance"],
    [{ operation: "sign-in", error: "E_SOCKET_CONNECT", activated: false }, "not-activated"],
    [{ operation: "sign-in", error: "E_REG_DENIED", modem: { cpin: "READY", csq: 20, dbm: -73, stat: 3 } }, "sim-arrears"],
    [{ operation: "sign-in", error: "E_SIM_NOT_INSERTED" }, "sim-missing"],
    [{ operation: "sign-in", error: "E_NO_SIGNAL", modem: { csq: 99 } }, "no-signal"],
    [{ operation: "sale", error: "E_HOST_TIMEOUT", modem: { csq: 3, dbm: -107 } }, "weak-signal"],
    [{ operation: "sale", error: "E_HOST_TIMEOUT", modem: { csq: 25, dbm: -63 } }, "host-timeout"],
    [{ operation: "sign-in", error: "E_DIAL_NO_DIALTONE" }, "line-no-dialtone"],
    [{ operation: "sign-in", error: "E_DIAL_BUSY" }, "line-busy"],
    [{ operation: "sign-in", error: "E_KCV_MISMATCH" }, "keys-wrong"],
    [{ operation: "sale", error: "E_MAC_MISMATCH" }, "data-corrupted"],
    [{ operation: "sale", responseCode: "A0" }, "host-mac-error"],
    [{ operation: "sale", responseCode: "51" }, "insufficient-funds"],
    [{ operation: "sale", responseCode: "33" }, "card-expired"],
    [{ operation: "sale", responseCode: "75" }, "pin-tries-exceeded"],
    [{ operation: "sale", responseCode: "45" }, "use-chip"],
    [{ operation: "sale", responseCode: "59" }, "risk-control"],
    [{ operation: "sale", responseCode: "90" }, "outside-service-hours"],
    [{ operation: "sale", responseCode: "97" }, "terminal-not-registered"],
    [{ operation: "sale", responseCode: "30" }, "host-interface-changed"],
    [{ operation: "sale", responseCode: "Z9" }, "unknown-response"],
    [{ operation: "sale", error: "E_CARD_MUTE" }, "card-read-error"],
    [{ operation: "print", error: "E_PRINTER_FAULT" }, "printer-fault"],
    [{ operation: "setup", error: "E_PARAM_TERMINAL_ID" }, "terminal-id-format"],
    [{ operation: "setup", error: "E_PARAM_MERCHANT_ID" }, "merchant-id-format"],
  ];
  for (const [ev, want] of cases) assert.is(diagnose(ev).cause.id, want, JSON.stringify(ev));
});

test("every response code in the table has a diagnosis with a next step; evidence lines say what was seen", () => {
  for (const c of knownResponseCodes()) {
    const d = diagnose({ operation: "sale", responseCode: c });
    assert.ok(d.cause.nextZh.length > 0 && d.cause.nextEn.length > 0, c);
  }
  const d = diagnose({ operation: "sign-in", error: "E_REG_DENIED", modem: { cpin: "READY", csq: 20, dbm: -73, stat: 3, operator: "46000" }, linkSteps: ["4g 46000 denied", "4g 46001 ok"] });
  assert.ok(d.evidence.includes("注册状态 3 被拒绝"), d.evidence.join("|"));
  assert.ok(d.evidence.some((l) => l.includes("-73 dBm")));
  assert.ok(d.evidence.includes("链路 4g 46001 ok"));
  assert.ok(causeIds().length >= 40);
});

test("sanitize keeps first 6 / last 4 of a PAN and removes key-like hex", () => {
  assert.is(sanitize("card 6222021234567890123 ok"), "card 622202*********0123 ok");
  assert.is(sanitize("MAK 3B5D7F9E1A2C4E6F loaded"), "MAK [8B] loaded");
  assert.is(sanitize("pinblock 06122662A9876FED"), "pinblock [8B]");
});

test("log ring: wraps keeping the newest, survives power cuts mid-append, sanitizes", () => {
  const sim = new SimFlash(1024, 8);
  const f = nativeFlash(sim);
  let ring = new LogRing(f, 2, 4);
  const r = rng(5);
  let last = 0;
  let cuts = 0;
  for (let i = 1; i <= 600; i++) {
    if (r() < 0.1) sim.scheduleCut({ atOperation: 1, landedBytes: Math.floor(r() * 40) });
    try {
      ring.append(1, `entry ${i} pan 6222021234567890123`, 1795340000 + i);
      last = i;
      sim.scheduleCut({ atOperation: 1e12 });
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      cuts++;
      ring = new LogRing(f, 2, 4); // reboot
    }
  }
  ring = new LogRing(f, 2, 4);
  const entries = ring.entries();
  assert.ok(entries.length > 20, `${entries.length} entries kept`);
  assert.ok(entries[entries.length - 1]!.text.startsWith(`entry ${last} `), entries[entries.length - 1]!.text);
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.seq > entries[i - 1]!.seq, "ordered");
  assert.ok(entries.every((e) => e.text.endsWith("pan 622202*********0123")));
  // Nothing outside the partition was touched; no clear PAN anywhere in flash.
  assert.ok(sim.bytes.subarray(0, 2 * 1024).every((b) => b === 0xff));
  assert.not.ok(Buffer.from(sim.bytes).includes("6222021234567890123"));
  console.log(`    log ring: ${entries.length} entries kept after 600 appends and ${cuts} power cuts`);
});

test("export: CBOR read back by the desk tool (cbor-x), no secrets in it", () => {
  const sim = new SimFlash(1024, 8);
  const ring = new LogRing(nativeFlash(sim), 0, 4);
  ring.append(1, "sign-in ok, TMK 11111111111111112222222222222222", 1795340000);
  ring.append(3, "sale 6222021234567890123 timed out", 1795340100);
  const d = diagnose({ operation: "sale", error: "E_HOST_TIMEOUT", modem: { csq: 3, dbm: -107 } });
  const bytes = diagExport({ serial: "SIM00000001", firmware: "0.1.0", board: "sim", timeSec: 1795340200, terminalId: "10000001" }, ring, [d], ["4g 46000 ok"]);
  const text = renderExport(bytes);
  assert.ok(text.includes("terminal SIM00000001 firmware 0.1.0 board sim"), text);
  assert.ok(text.includes("weak-signal"), text);
  assert.ok(text.includes("622202*********0123"));
  assert.not.ok(/\d{13,}/.test(text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, "")), "no long digit runs");
  assert.not.ok(/[0-9A-F]{16}/i.test(text), "no key-like hex");
  assert.throws(() => renderExport(new Uint8Array([1, 2, 3])), /E_DIAG_FILE/);
});

test.run();
