/**
 * The interactive simulator without a terminal config: a new terminal that `a` activates (the factory device's code)
 * and signs in through the test agent; then the host switches while it runs — an outage makes the next sign-in fail
 * with its diagnosis, a 5 s delay makes it late but approved — and Ctrl-C quits with exit 0.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exitWithin, startTui, type Tui } from "./harness.ts";

let t: Tui;

test.before(async () => {
  t = startTui([]);
  await t.until("the idle screen", () => /请选择/.test(t.terminalPane()) && /未激活/.test(t.terminalPane()), 240000);
});

test.after(() => t.kill());

test("a: activation and sign-in in one key", async () => {
  t.type("a");
  await t.until("signed in", () => /签到成功|失败|failed/.test(t.footer()), 90000);
  assert.match(t.footer(), /签到成功/);
  await t.until("the idle screen says so", () => /已签到/.test(t.terminalPane()));
  assert.match(t.terminalPane(), /终端 10000001/);
});

const signInByKeys = async (): Promise<string> => {
  t.type("7");
  await t.until("操作员号", () => /操作员号/.test(t.terminalPane()));
  t.type("01\r");
  await t.until("操作员密码", () => /操作员密码/.test(t.terminalPane()));
  t.type("0000\r");
  await t.until("the sign-in outcome", () => /签到成功|签到失败/.test(t.terminalPane()), 120000);
  return t.terminalPane();
};

test("o: an outage fails the sign-in (diagnosis on the screen, the host pane shows the refused connection)", async () => {
  t.type("o");
  await t.until("outage on", () => /行为: 停机/.test(t.hostPane()));
  const shown = await signInByKeys();
  assert.match(shown, /签到失败/);
  assert.match(t.hostPane(), /disconnect on accept/);
  t.type("\r");
  await t.until("idle", () => /请选择/.test(t.terminalPane()));
  t.type("o");
  await t.until("outage off", () => /行为: 正常/.test(t.hostPane()));
});

test("d: a 5 s delay is shown on the host pane and the sign-in still succeeds", async () => {
  t.type("d");
  await t.until("delay 5 s", () => /延迟 5s/.test(t.hostPane()));
  const shown = await signInByKeys();
  assert.match(shown, /签到成功/);
  assert.match(t.hostPane(), /answer delayed 5000 ms/);
  t.type("n\r");
  await t.until("idle", () => /请选择/.test(t.terminalPane()) && /行为: 正常/.test(t.hostPane()));
});

test("Ctrl-C quits cleanly with exit 0", async () => {
  t.type("\x03");
  const r = await exitWithin(t, 60000);
  await t.settle();
  assert.is(r.exitCode, 0, t.output().slice(-1000));
  assert.ok(t.normalBuffer());
});

test.run();
