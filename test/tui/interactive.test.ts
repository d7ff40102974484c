/**
 * `npm start -- --interactive` as a person uses it: the real command in a pseudo-terminal (node-pty), its output
 * rendered by a real terminal emulator (@xterm/headless), keystrokes typed into the pty. Checked on what a person
 * sees: the amount on the terminal's screen, the card chosen in the cards pane, the PIN masked on the PED pane,
 * "交易成功", the slip's text and PNG path, the host pane's 0200/0210 with the slip's trace number; then a host switch
 * (forced response code 51) and the decline it causes; then q restores the terminal and exits 0.
 *
 * The engine runs on the wall clock here, under whatever load the machine has: every wait is for screen content
 * with a generous deadline, never a fixed sleep used as an assertion.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { exitWithin, startTui, type Tui } from "./harness.ts";

const PNG = join(ROOT, "dist", "interactive-slip.png");
let t: Tui;
const terminalPane = () => t.terminalPane();
const pedPane = () => t.pedPane();
const cardsPane = () => t.cardsPane();
const hostPane = () => t.hostPane();
const slipPane = () => t.slipPane();
const footer = () => t.footer();
const until = (what: string, pred: () => boolean, timeoutMs?: number) => t.until(what, pred, timeoutMs);
const type = (keys: string) => t.type(keys);

test.before(async () => {
  rmSync(PNG, { force: true });
  t = startTui(["--config", "examples/terminal-config.json"]);
  // Build, engine boot, the 4G module's registration: minutes on a busy machine at worst.
  await until("the idle screen", () => /请选择/.test(terminalPane()) && /银联POS/.test(terminalPane()), 240000);
});

test.after(() => t.kill());

test("sign-in by keys: operator 01, the host pane shows the 0800/0810", async () => {
  type("7");
  await until("操作员号", () => /操作员号/.test(terminalPane()));
  type("01\r");
  await until("操作员密码", () => /操作员密码/.test(terminalPane()));
  type("0000\r");
  await until("签到成功", () => /签到成功|签到失败/.test(terminalPane()));
  assert.match(terminalPane(), /签到成功/);
  await until("host 0810", () => /← 0810 .*rc 00/.test(hostPane()));
  assert.match(hostPane(), /→ 0800/);
  type("\r");
  await until("idle, signed in", () => /已签到/.test(terminalPane()));
});

test("a chip sale by keys: amount on screen, card chosen and inserted, PIN masked on the PED, approval, slip, host 0200/0210", async () => {
  type("1");
  await until("amount entry", () => /请输入金额/.test(terminalPane()));
  type("2000");
  await until("the amount", () => /20\.00/.test(terminalPane()));
  assert.match(terminalPane(), /￥20\.00/);
  type("\r");
  await until("swipe prompt", () => /请刷卡/.test(terminalPane()));
  // Choose the credit card (second in the list): the marker moves.
  assert.match(cardsPane(), /▶ debit/);
  type("c");
  await until("credit chosen", () => /▶ credit/.test(cardsPane()));
  // A chip card: inserted (a swipe would be refused: chip first).
  type("i");
  await until("the PED asks for the PIN", () => /请输入密码/.test(pedPane()));
  type("88");
  await until("two masked digits", () => /^│ \*\*_/m.test(pedPane()));
  assert.not.match(pedPane() + terminalPane(), /88/, "digits never shown");
  type("88\r");
  await until("the outcome", () => /交易成功|消费失败/.test(terminalPane()), 120000);
  const shown = terminalPane();
  assert.match(shown, /交易成功/, shown);
  assert.match(shown, /金额 20\.00/);
  const stan = /凭证号 (\d{6})/.exec(shown)![1]!;
  await until("the slip", () => /RMB 20\.00/.test(slipPane()));
  assert.match(slipPane(), /PNG: dist\/interactive-slip\.png/);
  assert.ok(existsSync(PNG), "the slip's PNG was written");
  assert.equal([...readFileSync(PNG).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await until("host 0210", () => new RegExp(`← 0210 流水 ${stan} rc 00`).test(hostPane()));
  assert.match(hostPane(), new RegExp(`→ 0200 流水 ${stan}`));
  type("r");
  type("\r");
  await until("idle", () => /请选择/.test(terminalPane()));
});

test("host switch: forced response code 51 declines the next sale, the host pane shows rc 51", async () => {
  type("x");
  await until("the code prompt", () => /response code/.test(footer()));
  type("51");
  await until("the switch", () => /强制应答码 51/.test(hostPane()));
  type("1");
  await until("amount entry", () => /请输入金额/.test(terminalPane()));
  type("500\r");
  await until("swipe prompt", () => /请刷卡/.test(terminalPane()));
  type("i");
  await until("the PED asks for the PIN", () => /请输入密码/.test(pedPane()));
  type("8888\r");
  await until("the decline", () => /消费失败|交易成功/.test(terminalPane()), 120000);
  assert.match(terminalPane(), /消费失败/);
  await until("host 0210 rc 51", () => /← 0210 .*rc 51/.test(hostPane()));
  type("r");
  type("n");
  await until("host normal", () => /行为: 正常/.test(hostPane()));
  type("\r");
  await until("idle", () => /请选择/.test(terminalPane()));
});

test("q quits cleanly: the terminal's screen restored, the engine stopped, exit 0", async () => {
  type("q");
  const r = await exitWithin(t, 60000);
  await t.settle();
  const all = t.output();
  assert.is(r.exitCode, 0, all.slice(-1000));
  assert.ok(t.normalBuffer(), "left the alternate screen");
  assert.match(all, /\x1b\[\?1049l/);
  assert.match(all, /\x1b\[\?25h/, "cursor shown again");
  assert.match(all, /engine: exit \(exit 0\)/);
});

test.run();
