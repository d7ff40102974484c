/**
 * `npm start`: builds the sim firmware and runs it in the embedded engine with every virtual device.
 *
 *   npm start                                   a guided demo against the built-in host, through the agent and
 *                                               the terminal's own menus: activation, sign-in, chip sale with
 *                                               PIN, the slip (text + PNG under dist/), settlement
 *   npm start -- [--host HOST:PORT] --config FILE --script FILE
 *                                               the firmware against the acquirer's test host (default: the
 *                                               built-in one), driven by a script; exits 1 when a step fails
 *   npm start -- --interactive [--config FILE] [--host HOST:PORT]
 *                                               a person uses the terminal in this window (boards/sim/tui)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage, formatReport, imagesFor } from "../../build/build.ts";
import { ROOT } from "../../build/board.ts";
import { DEFAULT_ACTIVATION_CODE, TEST_CARDS } from "./host/factory.ts";
import { unionpayDebit } from "./devices/cards/catalog.ts";
import { loadJson, startSession, type Session, type TerminalConfig } from "./script/session.ts";
import { runScript, type Step } from "./script/runner.ts";
import type { RunResult } from "./engine-host.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith("--")) {
    console.error(`${name} needs a value`);
    process.exit(2);
  }
  return v;
}

const hostArg = arg("--host");
const configPath = arg("--config");
const scriptPath = arg("--script");
const verbose = process.argv.includes("--verbose");

const [spec] = imagesFor("sim");
console.log("build " + formatReport(await buildImage(spec!)));

function memoryLine(r: RunResult): string {
  const m = r.memory;
  return `engine: ${r.status} (exit ${r.exitCode}), ${r.elapsedMs} ms virtual time; data heap peak ${m.peakHeapBytes} B of the ${m.heapLimitBytes} B budget (code ${m.codeBytes} B)`;
}

function panel(lines: string[]): string {
  return lines.map((l) => "  | " + l).join("\n");
}

// Interactive mode (boards/sim/tui): a person uses the terminal in this terminal window; --config/--host apply.
if (process.argv.includes("--interactive")) {
  const { runInteractive } = await import("./tui/interactive.ts");
  process.exit(await runInteractive({ host: hostArg, config: configPath ? loadJson<TerminalConfig>(configPath) : undefined }));
}

if (configPath || scriptPath || hostArg) {
  if (!configPath || !scriptPath) {
    console.error("usage: npm start -- [--host HOST:PORT] --config FILE --script FILE");
    process.exit(2);
  }
  const config = loadJson<TerminalConfig>(configPath);
  const script = loadJson<{ steps: Step[] }>(scriptPath);
  let session: Session;
  try {
    session = await startSession({ host: hostArg, config, echoLogs: verbose });
  } catch (e) {
    console.error(`setup failed: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(`terminal ${config.terminalId} merchant ${config.merchantId} -> ${hostArg ? "acquirer host" : "built-in host"} ${session.hostAddress}:${session.hostPort}`);
  const results = await runScript(session, script.steps, {
    operator: config.operator,
    supervisorPassword: config.supervisorPassword,
    onStep: (r) => console.log(`${r.ok ? "ok  " : "FAIL"} ${r.index + 1}. ${r.step.do}${r.step.comment ? ` (${r.step.comment})` : ""}: ${r.summary}`),
  });
  const failed = results.some((r) => !r.ok) || results.length < script.steps.length;
  if (failed) {
    const f = await session.world.agent.call("state").catch(() => undefined);
    if (f) console.log(`terminal state: ${JSON.stringify(f)}`);
  }
  const r = await session.close(0);
  console.log(memoryLine(r));
  console.log(failed ? `script FAILED at step ${results.length} of ${script.steps.length}` : `script passed: ${results.length} steps`);
  process.exit(failed || r.status !== "exit" ? 1 : 0);
}

// ---- the guided demo ----------------------------------------------------------------------------------------------
const session = await startSession({});
const { world, builtIn } = session;
const a = world.agent;
const host = builtIn!;
let seen = 0;
const hostSaw = () => {
  const evs = host.events.list().slice(seen);
  seen += evs.length;
  const lines = host.events.format(evs).split("\n").filter((l) => /^\[/.test(l) && !/ (connect|close)\b/.test(l));
  return lines.length ? lines.map((l) => "  host: " + l).join("\n") : "  host: (nothing)";
};
const step = (title: string, lines: string[]) => console.log(`\n== ${title}\n${panel(lines)}\n${hostSaw()}`);
const debit = TEST_CARDS.debit;

try {
  step("boot: the terminal is new (not activated)", await a.waitScreen(/请选择/));
  // Activation from the admin menu: 8 管理 -> 1 激活 -> the code -> ENTER.
  await a.keys(["8"], /激活/);
  await a.keys(["1"], /激活码/);
  step("activation code entered", await a.keys([...DEFAULT_ACTIVATION_CODE.split(""), "enter"], /激活成功|激活失败/));
  await a.keys(["enter"], /请选择/);
  // Sign-in: 7 签到 -> operator 01, password 0000.
  await a.keys(["7"], /操作员号/);
  await a.keys(["0", "1", "enter"], /操作员密码/);
  step("sign-in (operator 01)", await a.keys(["0", "0", "0", "0", "enter"], /签到成功|签到失败/));
  await a.keys(["enter"], /请选择/);
  // Chip sale (issue #8): 1 消费 -> amount 123.45 -> insert the debit chip card -> EMV with online PIN on the PED.
  await a.keys(["1"], /请输入金额/);
  step("sale: amount entered", await a.keys(["1", "2", "3", "4", "5", "enter"], /请刷卡/));
  session.useCard({ pan: debit.pan, track2: debit.track2, pin: debit.pin });
  const result = a.waitScreen(/交易成功|消费失败/, 60000);
  world.cards.insert(unionpayDebit);
  step("chip sale: card inserted, EMV (DDA, ARQC), PIN typed on the PED, host answered (ARPC), TC", await result);
  world.cards.remove();
  const slip = world.printer.text().join("\n");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const png = join(ROOT, "dist", "demo-slip.png");
  writeFileSync(png, world.printer.png());
  console.log(`\n== slip printed (${png})\n${slip.split("\n").map((l) => "  " + l).join("\n")}`);
  await a.keys(["enter"], /请选择/);
  // Settlement: 6 结算 -> supervisor password.
  await a.keys(["6"], /主管密码/);
  step("settlement", await a.keys(["1", "2", "3", "4", "5", "6", "enter"], /对账|结算失败/));
  await a.keys(["enter"], /请选择/);
  const st = await a.call("state");
  console.log(`\nterminal: ${st.terminalId} batch ${st.batch} journal ${st.journalCount}; host ledger:\n${host.ledger.format()}`);
  const r = await session.close(0);
  console.log(memoryLine(r));
  process.exit(r.status === "exit" && r.exitCode === 0 ? 0 : 1);
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}\nscreen:\n${panel(world.agent.screen)}`);
  await session.close(1).catch(() => undefined);
  process.exit(1);
}
