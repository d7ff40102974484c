/**
 * The device link (boards/sim/bridge/device-link.ts) under the real native runtime, for what the sale does not
 * use: the contact chip reader (card.open/powerOn/transmit, present/removed/message events) and the keypad and
 * display. The engine tests' own entries (test/engine/fixtures/card-chip.ts, ui-keypad.ts) run unchanged on the
 * linux board with `--devices unix:PATH`, the test reacting to their STEP log lines as the engine tests do;
 * what they report must equal what the same entry reports in the embedded engine (sim target).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import type { ExtraNatives } from "../../boards/sim/engine-host.ts";
import { DeviceLinkServer } from "../../boards/sim/bridge/device-link.ts";
import { SimCardReader } from "../../boards/sim/devices/card.ts";
import { SimDisplay, SimKeypad, type KeyCode } from "../../boards/sim/devices/ui.ts";
import { VirtualCard } from "../../boards/sim/devices/cards/virtual-card.ts";
import { chipStripe2xx, unionpayCredit, unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";
import { runEntry } from "../engine/harness.ts";
import { bundleForLinux, portBuild, tempDir } from "./support.ts";
import { compilerMissing } from "./fixtures/sale-targets.ts";

const noCompiler = compilerMissing();

function results(lines: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const l of lines) {
    const m = /^R (\S+) (.*)$/.exec(l);
    if (m) out[m[1]!] = JSON.parse(m[2]!);
  }
  return out;
}

/** Runs an engine entry in the native runtime with `extras` behind the device link; `onLine` sees each firmware log message. */
async function runNative(entry: string, extras: ExtraNatives[], onLine: (m: string) => void): Promise<{ code: number | null; lines: string[]; stderr: string; link: DeviceLinkServer }> {
  const b = await portBuild();
  const script = await bundleForLinux(entry);
  const dir = tempDir("devlink");
  const link = new DeviceLinkServer({ extras, listen: `unix:${join(dir, "devices.sock")}` });
  const spec = await link.listen();
  const p = spawn(b.binary, ["--devices", spec, "--flash", join(dir, "flash.bin"), "--quiet", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buf = "";
  let stderr = "";
  p.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const m = buf.slice(0, i).replace(/^[A-Z]{3} /, "");
      buf = buf.slice(i + 1);
      lines.push(m);
      onLine(m);
    }
  });
  p.stderr.on("data", (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => p.kill("SIGKILL"), 40000);
  const code = await new Promise<number | null>((resolve) => p.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  await link.close();
  return { code, lines, stderr, link };
}

function chipDriver(reader: SimCardReader): (m: string) => void {
  const debit = new VirtualCard(unionpayDebit);
  const intl = new VirtualCard(chipStripe2xx);
  return (m) => {
    if (m === "STEP debit") reader.insert(debit);
    if (m === "STEP remove") reader.remove();
    if (m === "STEP intl") reader.insert(intl);
    if (m === "STEP credit") reader.insert(unionpayCredit);
  };
}

test("contact chip over the link: the same responses as in the embedded engine, card for card", async () => {
  if (noCompiler) {
    console.log(`  SKIPPED: ${noCompiler}`);
    return;
  }
  const ENTRY = "test/engine/fixtures/card-chip.ts";
  const nReader = new SimCardReader();
  const native = await runNative(ENTRY, [nReader], chipDriver(nReader));
  assert.is(native.code, 0, native.stderr + native.lines.join("\n"));
  assert.ok(native.lines.includes("done"), native.lines.join("\n"));

  const sReader = new SimCardReader();
  const drive = chipDriver(sReader);
  const sim = await runEntry(ENTRY, { extras: [sReader], onLog: (_l, m) => drive(m) });
  assert.is(sim.status, "exit", sim.error);

  const rn = results(native.lines);
  const rs = results(sim.logs);
  assert.ok(Object.keys(rn).length > 20, `results: ${Object.keys(rn).join(" ")}`);
  assert.equal(rn, rs);
  // The cards saw the same commands in the same order on both targets.
  assert.equal(nReader.log, sReader.log);
  assert.is(native.link.stats.errors, 0, "no request the devices refused");
});

test("keypad and display over the link: the same keys, panels and amounts as in the embedded engine", async () => {
  if (noCompiler) {
    console.log(`  SKIPPED: ${noCompiler}`);
    return;
  }
  const ENTRY = "test/engine/fixtures/ui-keypad.ts";
  const ALL: KeyCode[] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "enter", "cancel", "clear", "menu", "up", "down", "f1", "f2"];
  // The firmware's log (stdout) and its keypad.close notice (the link) are two streams: on the native target the
  // key "after close" waits until the notice has surely crossed.
  const driver = (keypad: SimKeypad, out: { afterClose: number }, later: (f: () => void) => void = (f) => f()) => (m: string) => {
    if (m === "STEP press-all") keypad.press(...ALL);
    else if (m === "STEP typeahead") keypad.press("down", "down", "enter");
    else if (m === "STEP stale") keypad.press("9");
    else if (m === "STEP amount") keypad.press("0", "1", "2", "3", "4", "5", "clear", "0", "enter");
    else if (m === "STEP amount-cancel") keypad.press("7", "cancel");
    else if (m === "STEP after-close") later(() => (out.afterClose = keypad.press("1")));
  };
  const nDisplay = new SimDisplay(8, 20);
  const nKeypad = new SimKeypad();
  const nOut = { afterClose: -1 };
  const native = await runNative(ENTRY, [nDisplay, nKeypad], driver(nKeypad, nOut, (f) => setTimeout(f, 200)));
  assert.is(native.code, 0, native.stderr + native.lines.join("\n"));
  await new Promise((r) => setTimeout(r, 300));

  const sDisplay = new SimDisplay(8, 20);
  const sKeypad = new SimKeypad();
  const sOut = { afterClose: -1 };
  const sim = await runEntry(ENTRY, { extras: [sDisplay, sKeypad], onLog: (_l, m) => driver(sKeypad, sOut)(m) });
  assert.is(sim.status, "exit", sim.error);

  const rn = results(native.lines);
  const rs = results(sim.logs);
  // Elapsed times are real on the native runtime and virtual in the sim: compare them by bound, the rest exactly.
  const timing = Object.keys(rs).filter((k) => /elapsed/.test(k));
  for (const k of timing) assert.ok(rn[k] >= rs[k] - 50, `${k}: native ${rn[k]} vs sim ${rs[k]}`);
  for (const k of timing) {
    delete rn[k];
    delete rs[k];
  }
  assert.ok(Object.keys(rn).length >= 5, JSON.stringify(rn));
  assert.equal(rn, rs);
  assert.equal(nKeypad.delivered, sKeypad.delivered);
  assert.equal(nDisplay.frames, sDisplay.frames);
  assert.is(nOut.afterClose, 0, "a key after close reaches nobody");
  assert.is(sOut.afterClose, 0);
});

test.run();
