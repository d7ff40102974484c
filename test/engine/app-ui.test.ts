/**
 * The menu UI driven by key presses through the agent: a sale from the idle screen (amount, swipe, PIN on the PED,
 * the approval screen, the slip), screens checked on the agent's report and on the virtual panel itself; failures
 * show their diagnosis (cause, next step, who fixes it); entry validation messages.
 */
import { test } from "uvu";
import { unionpayDebit } from "../../boards/sim/devices/cards/catalog.ts";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { ensureBuilt } from "./build-once.ts";
import { loadJson, startSession, type Session, type TerminalConfig } from "../../boards/sim/script/session.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";

let s: Session;
const config = loadJson<TerminalConfig>(join(ROOT, "examples/terminal-config.json"));
const text = (lines: string[]) => lines.map((l) => l.trim()).join("");

test.before(async () => {
  await ensureBuilt();
  s = await startSession({ config });
});
test.after(async () => {
  const r = await s.close();
  assert.is(r.status, "exit", r.error);
});

test("a sale before sign-in shows its diagnosis: keys missing, sign in, the merchant fixes it", async () => {
  const a = s.world.agent;
  await a.call("operatorSignIn", { no: "01", password: "0000" });
  await a.keys(["1"], /请输入金额/);
  await a.keys(["5", "0", "0", "enter"], /请刷卡/);
  const shown = a.waitScreen(/消费失败/);
  s.useCard({ pan: TEST_CARDS.debit.pan, track2: TEST_CARDS.debit.track2, pin: TEST_CARDS.debit.pin });
  s.world.cards.swipe({ track2: TEST_CARDS.debit.track2 });
  const lines = await shown;
  assert.match(text(lines), /终端未签到或密钥缺失/);
  assert.match(text(lines), /执行签到/);
  assert.match(text(lines), /商户可自行处理/);
  // The virtual panel shows what the agent reported (cells measured with the Unicode width data).
  assert.is(s.world.display.panel().map((l) => l.replace(/ /g, "")).join(""), lines.map((l) => l.replace(/ /g, "")).join(""));
  const f = await a.call("failure");
  assert.equal([f.operation, f.cause, f.fixer], ["sale", "keys-missing", "merchant"]);
  const log = await a.call("log", { last: 3 });
  assert.ok(log.some((e: any[]) => /sale failed E_NOT_SIGNED_IN: keys-missing/.test(e[3])), JSON.stringify(log));
  await a.keys(["enter"], /请选择/);
});

test("sign-in and a sale by key presses: amount, swipe, PIN on the PED, approval screen, slip printed", async () => {
  const a = s.world.agent;
  await a.keys(["7"], /操作员号/);
  await a.keys(["0", "1", "enter"], /操作员密码/);
  const si = await a.keys(["0", "0", "0", "0", "enter"], /签到成功|签到失败/);
  assert.match(text(si), /签到成功/);
  await a.keys(["enter"], /已签到/);
  await a.keys(["1"], /请输入金额/);
  const amt = await a.keys(["2", "0", "0", "0"], /20\.00/);
  assert.match(text(amt), /￥20\.00/);
  await a.keys(["enter"], /请刷卡/);
  const done = a.waitScreen(/交易成功|消费失败/, 60000);
  // Chip first (issue #7): the debit card (service code 620) goes in the chip slot, no longer through the stripe.
  s.world.cards.insert(unionpayDebit);
  const lines = await done;
  assert.match(text(lines), /交易成功/, text(lines));
  assert.match(text(lines), /金额 20\.00/);
  const stan = Number(/凭证号 (\d{6})/.exec(text(lines))![1]);
  // The virtual panel shows the same (measured with the Unicode width data, not the firmware's table).
  assert.ok(s.world.display.panel().join("\n").includes("交易成功"));
  assert.is(s.world.display.overflows, 0);
  // The PIN went to the PED (digits never reached the engine), the host saw the sale, the slip was printed.
  assert.ok(s.world.ped.entries.some((e) => e.status === "ok" && e.digits === 4));
  const ledger = s.builtIn!.ledger.entries({ terminalId: config.terminalId });
  assert.ok(ledger.some((e) => Number(e.stan) === stan && e.amount === 2000));
  assert.match(s.world.printer.text().join("\n"), /RMB 20\.00/);
  assert.ok(a.events.some((e) => e.ev === "printed" && Number(e.stan) === stan));
  await a.keys(["enter"], /请选择/);
  s.world.cards.remove();
});

test("a declined sale (insufficient funds) shows the cause and who fixes it", async () => {
  const a = s.world.agent;
  await a.keys(["1"], /请输入金额/);
  await a.keys(["5", "0", "0", "0", "0", "enter"], /请刷卡/);
  const low = TEST_CARDS.lowBalance;
  s.useCard({ pan: low.pan, pin: low.pin });
  const done = a.waitScreen(/消费失败/, 60000);
  s.world.cards.swipe({ track2: `${low.pan}=${low.expiry}1010000000000` });
  const lines = await done;
  assert.match(text(lines), /39=51/);
  const f = await a.call("failure");
  assert.is(f.cause, "insufficient-funds");
  assert.ok(text(lines).includes(f.zh), text(lines));
  await a.keys(["enter"], /请选择/);
});

test("admin: a terminal number of the wrong length shows the validation message", async () => {
  const a = s.world.agent;
  await a.keys(["8"], /终端号/);
  await a.keys(["2"], /终端号\(8位\)/);
  const lines = await a.keys(["1", "2", "3", "4", "5", "6", "7", "enter"], /无效/);
  assert.match(text(lines), /终端号应为8位，输入了7位/);
  await a.keys(["enter"], /请选择/);
  const p = await a.call("params");
  assert.is(p.terminalId, config.terminalId, "nothing changed");
});

test.run();
