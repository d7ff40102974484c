/**
 * `npm start -- --interactive`: a person uses the simulated terminal in a terminal window.
 *
 *   ┌ 终端屏幕 ┐ ┌ 卡片 cards ───────────────┐ ┌ 签购单 slip ┐
 *   │ 8 x 20   │ │ the test cards, the slot/ │ │ the last    │
 *   └──────────┘ │ field                     │ │ slip's text │
 *   ┌ 按键 ────┐ └───────────────────────────┘ │ and where   │
 *   │ legend   │ ┌ 主机 host ────────────────┐ │ its PNG is  │
 *   └──────────┘ │ switches, what it saw     │ │             │
 *   ┌ 密码键盘 ┐ │ (MTI, STAN, code)         │ │             │
 *   └──────────┘ └───────────────────────────┘ └─────────────┘
 *   status line: 4G link, host address and connections, the firmware's last log line
 *
 * Terminal keys go to the simulated keypad (digits, Enter=确认, Esc=取消, Backspace=清除, F1/F2, ↑/↓, m=菜单); while
 * the PED runs a PIN entry they go to the PED (the pane shows one * per digit). Letters drive the simulator:
 * c/C choose a card, s swipe, i insert, t tap, r remove; n host normal, x force a response code, d delay, o outage;
 * a activate and sign in; q or Ctrl-C quit.
 *
 * Plain ANSI on Node's readline key parser: the panes are a fixed grid whose widths must be counted with the same
 * East Asian Width data the simulated panel uses (get-east-asian-width), which a cell canvas does in a few lines.
 */
import { emitKeypressEvents } from "node:readline";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../../../build/board.ts";
import { DEFAULT_ACTIVATION_CODE } from "../host/factory.ts";
import { CUT_MARK } from "../devices/printer.ts";
import type { KeyCode } from "../devices/ui.ts";
import { Canvas, diff, fit } from "./canvas.ts";
import { cardCatalog, interfacesOf, maskPan, type TuiCard } from "./cards.ts";
import { HostControl, exchangeLines } from "./host-control.ts";
import { startInteractiveSession, type InteractiveOptions, type InteractiveSession } from "./session.ts";

export interface RunInteractiveOptions extends InteractiveOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Where the last slip's PNG is written (default dist/interactive-slip.png). */
  slipPng?: string;
}

const LEFT = 24;
const SLIP = 36;
const REFRESH_MS = 100;

const KEY_LEGEND: Array<[string, string]> = [
  ["0-9", "数字"],
  ["Enter", "确认"],
  ["Esc", "取消"],
  ["Backspace", "清除"],
  ["F1 F2", "功能键"],
  ["↑ ↓", "上/下"],
  ["m", "菜单"],
];

/** Runs the interactive simulator until the person quits; resolves with the process exit status. */
export async function runInteractive(o: RunInteractiveOptions = {}): Promise<number> {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stdout;
  const slipPng = o.slipPng ?? join(ROOT, "dist", "interactive-slip.png");
  const logs: string[] = [];
  output.write("starting the simulated terminal (engine, virtual devices, acquirer host)...\n");
  let session: InteractiveSession;
  try {
    session = await startInteractiveSession({ ...o, onLog: (level, m) => logs.push(`${["DBG", "INF", "WRN", "ERR"][level] ?? "LOG"} ${m}`) });
  } catch (e) {
    output.write(`setup failed: ${(e as Error).message}\n`);
    return 1;
  }
  const { world, builtIn } = session;
  const control = builtIn ? new HostControl(builtIn) : undefined;
  const cards = cardCatalog();
  let selected = 0;
  let message = "a: 激活并签到 (activate + sign in)   c: 选卡   s/i/t: 刷/插/挥卡   q: 退出";
  let mode: { kind: "normal" } | { kind: "code"; text: string } = { kind: "normal" };
  let slipText: string[] = [];
  let slipSaved = false;
  let engineEnded: string | undefined;
  let slotCard: string | undefined;
  let fieldCard: string | undefined;
  let busy = false;

  void session.done.then((r) => {
    engineEnded = `engine ${r.status}${r.error ? ": " + r.error.split("\n")[0] : ""}`;
  });

  // The last slip (the roll's text after the last cut but one) and its PNG, each time the terminal prints one.
  const readSlip = () => {
    const segments = world.printer.text().join("\n").split(CUT_MARK).map((s) => s.replace(/^\n+|\n+$/g, ""));
    const last = segments.filter((s) => s.trim().length > 0).pop();
    slipText = last ? last.split("\n") : [];
    try {
      mkdirSync(join(slipPng, ".."), { recursive: true });
      writeFileSync(slipPng, world.printer.png());
      slipSaved = true;
    } catch (e) {
      message = `PNG not written: ${(e as Error).message}`;
    }
  };
  // The printer renders what it receives a little after the terminal's "printed" event: read the slip once the
  // printer has been still for a moment after its last print operation.
  let printedSeen = 0;
  let printedAt = 0;
  let slipRead = 0;
  const watchPrinter = () => {
    const n = world.printer.printed;
    if (n !== printedSeen) {
      printedSeen = n;
      printedAt = Date.now();
    } else if (n !== slipRead && Date.now() - printedAt >= 300) {
      slipRead = n;
      readSlip();
    }
  };

  const press = (k: KeyCode) => {
    world.keypad.press(k);
  };

  const setup = async () => {
    if (busy) return;
    busy = true;
    try {
      const a = world.agent;
      const st = await a.call("state");
      if (!st.activated) {
        message = "激活中 (activation)...";
        const r = await a.call("activate", { code: DEFAULT_ACTIVATION_CODE });
        if (r.status !== "approved") {
          message = `激活失败 activation declined: ${r.code}`;
          return;
        }
      }
      const op = session.config?.operator ?? { no: "01", password: "0000" };
      await a.call("operatorSignIn", { no: op.no, password: op.password });
      message = "签到中 (sign-in)...";
      const s = await a.call("signIn");
      message = s.status === "approved" ? `签到成功: operator ${op.no}, batch ${s.batch}` : `签到失败 sign-in declined: ${s.code}`;
    } catch (e) {
      message = `setup failed: ${(e as Error).message}`;
    } finally {
      busy = false;
    }
  };

  const cardAction = (what: "swipe" | "insert" | "tap" | "remove") => {
    const c = cards[selected]!;
    if (what === "remove") {
      world.cards.remove();
      world.cards.leaveField();
      slotCard = fieldCard = undefined;
      message = "卡已拔出/离开感应区 (card removed)";
      return;
    }
    if (what === "swipe") {
      if (!c.tracks?.track2) message = `${c.name}: 无磁条 (no stripe)`;
      else message = world.cards.swipe(c.tracks) ? `刷卡 ${c.name} (swiped)` : "刷卡器未打开: 终端没有在等刷卡 (the terminal is not reading the stripe now)";
      return;
    }
    if (what === "insert") {
      if (!c.image?.contact) {
        message = `${c.name}: 无芯片 (no contact chip)`;
        return;
      }
      world.cards.insert(c.image);
      slotCard = c.name;
      message = `插卡 ${c.name} (inserted)`;
      return;
    }
    if (!c.image?.contactless) {
      message = `${c.name}: 不支持非接 (not contactless)`;
      return;
    }
    world.cards.leaveField();
    world.cards.tap(c.image);
    fieldCard = c.name;
    message = `挥卡 ${c.name} (tapped; r removes it)`;
  };

  const pinEntry = () => world.ped.entryProgress;

  // ---- rendering -------------------------------------------------------------------------------------------------
  let prev: string[] | undefined;
  const render = () => {
    watchPrinter();
    const cols = Math.max(60, output.columns ?? 120);
    const rows = Math.max(24, output.rows ?? 40);
    const cv = new Canvas(rows, cols);
    const footer = 3;
    const bodyRows = rows - footer;

    // Left: the terminal's screen, the key legend, the PED.
    const d = world.display;
    cv.box(0, 0, d.rows + 2, LEFT, "终端屏幕", { fg: 36 });
    for (let r = 0; r < d.rows; r++) {
      const cells = d.cellsOf(r).join("");
      cv.put(r + 1, 2, cells, d.attributes(r).inverse ? { inverse: true } : undefined, d.columns);
    }
    const keysTop = d.rows + 2;
    cv.box(keysTop, 0, KEY_LEGEND.length + 2, LEFT, "按键 keys");
    KEY_LEGEND.forEach(([k, v], i) => {
      cv.put(keysTop + 1 + i, 2, fit(k, 10), { bold: true });
      cv.put(keysTop + 1 + i, 12, v, undefined, LEFT - 13);
    });
    const pedTop = keysTop + KEY_LEGEND.length + 2;
    const pedH = Math.max(5, bodyRows - pedTop);
    const e = pinEntry();
    cv.box(pedTop, 0, pedH, LEFT, "密码键盘 PED", e ? { fg: 33 } : undefined);
    if (e) {
      const left = Math.max(0, Math.ceil((e.deadline - world.host.clock.monotonic()) / 1000));
      cv.put(pedTop + 1, 2, "请输入密码", { bold: true, fg: 33 });
      cv.put(pedTop + 2, 2, "*".repeat(e.digits) + "_", { bold: true });
      cv.put(pedTop + 3, 2, `${e.minLength}-${e.maxLength}位 剩余 ${left}s`, { dim: true });
      if (pedH > 5) cv.put(pedTop + 4, 2, "Enter确认 Esc取消", { dim: true });
    } else cv.put(pedTop + 1, 2, "待机 (no PIN entry)", { dim: true });

    // Right: the last slip.
    const slipW = cols >= LEFT + 40 + SLIP ? SLIP : 0;
    if (slipW) {
      const col = cols - slipW;
      cv.box(0, col, bodyRows, slipW, "签购单 slip", { fg: 32 });
      const inner = bodyRows - 4;
      const lines = slipText.length ? slipText : ["(尚未打印 nothing printed yet)"];
      lines.slice(0, inner).forEach((l, i) => cv.put(1 + i, col + 2, l, undefined, slipW - 3));
      if (lines.length > inner) cv.put(inner, col + 2, `… ${lines.length - inner + 1} more lines`, { dim: true });
      cv.put(bodyRows - 2, col + 2, slipSaved ? "PNG: " + relative(process.cwd(), slipPng) : "PNG: -", { dim: true }, slipW - 3);
    }

    // Middle: cards, then the host.
    const midCol = LEFT + 1;
    const midW = cols - midCol - (slipW ? slipW + 1 : 0);
    const cardsH = Math.min(cards.length + 4, Math.max(8, Math.floor(bodyRows / 2)));
    cv.box(0, midCol, cardsH, midW, "卡片 cards  c/C选择 s刷 i插 t挥 r拔");
    const listRows = cardsH - 3;
    const first = Math.max(0, Math.min(selected - Math.floor(listRows / 2), cards.length - listRows));
    for (let i = 0; i < listRows && first + i < cards.length; i++) {
      const c: TuiCard = cards[first + i]!;
      const sel = first + i === selected;
      const line = `${sel ? "▶" : " "} ${fit(c.name, 18)} ${interfacesOf(c)} ${maskPan(c.pan)} PIN ${c.pin ?? "-"}  ${c.note}`;
      cv.put(1 + i, midCol + 1, fit(line, midW - 2), sel ? { inverse: true } : undefined);
    }
    cv.put(cardsH - 2, midCol + 2, `卡槽 slot: ${slotCard ?? "空"}   感应区 field: ${fieldCard ?? "空"}`, { dim: true }, midW - 4);

    const hostTop = cardsH;
    const hostH = bodyRows - hostTop;
    cv.box(hostTop, midCol, hostH, midW, "主机 host  n正常 x应答码 d延迟 o停机", { fg: 35 });
    if (control && builtIn) {
      cv.put(hostTop + 1, midCol + 2, `行为: ${control.describe()}`, { bold: true }, midW - 4);
      cv.put(hostTop + 2, midCol + 2, `账本 ledger: ${builtIn.ledger.entries({}).length} 笔   连接 connections: ${builtIn.connections()}`, { dim: true }, midW - 4);
      const ex = exchangeLines(builtIn.events.list());
      const room = hostH - 5;
      ex.slice(-room).forEach((l, i) => cv.put(hostTop + 4 + i, midCol + 2, l, l.startsWith("←") ? { fg: 32 } : l.startsWith("!") ? { fg: 31 } : undefined, midW - 4));
      if (!ex.length) cv.put(hostTop + 4, midCol + 2, "(尚无报文 no messages yet)", { dim: true });
    } else cv.put(hostTop + 1, midCol + 2, `外部主机 external host ${session.hostAddress}:${session.hostPort}: not observable here`, { dim: true }, midW - 4);

    // Footer: the link, the last log line, the message or prompt.
    const m = world.modem;
    const reg = ["未注册", "已注册", "搜网中", "拒绝注册", "未知", "漫游"][m.regStat()] ?? String(m.regStat());
    cv.put(bodyRows, 0, ` 4G ${reg} 信号 ${m.rssi}  sockets ${m.openSockets}   host ${session.hostAddress}:${session.hostPort}   ${engineEnded ?? ""}`, { inverse: true }, cols);
    cv.put(bodyRows + 1, 0, " log: " + (logs[logs.length - 1] ?? ""), { dim: true }, cols);
    const prompt = mode.kind === "code" ? `强制应答码 response code (2 chars, Enter alone = none, Esc = back): ${mode.text}_` : message;
    cv.put(bodyRows + 2, 0, " " + prompt, { bold: true }, cols);
    if (logs.length > 200) logs.splice(0, logs.length - 50);

    const next = cv.lines();
    const out = diff(prev, next);
    prev = next;
    if (out) output.write(out);
  };

  // ---- input -----------------------------------------------------------------------------------------------------
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    finish(0);
  };

  const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean; shift?: boolean; sequence?: string } = {}) => {
    if (key.ctrl && key.name === "c") return quit();
    const name = key.name ?? "";
    if (mode.kind === "code") {
      if (name === "escape") mode = { kind: "normal" };
      else if (name === "backspace") mode = { kind: "code", text: mode.text.slice(0, -1) };
      else if (name === "return" || name === "enter") {
        if (mode.text.length === 0) {
          control?.forceCode(undefined);
          message = "应答码: 正常处理 (no forced code)";
          mode = { kind: "normal" };
        }
      } else if (str && str.length === 1 && str >= " " && str <= "~") {
        const text = mode.text + str.toUpperCase();
        if (text.length === 2) {
          control?.forceCode(text);
          message = `主机将对 0100/0200 应答 ${text} (forced response code)`;
          mode = { kind: "normal" };
        } else mode = { kind: "code", text };
      }
      render();
      return;
    }
    if (str && str.length === 1 && str >= "0" && str <= "9") press(str as KeyCode);
    else if (name === "return" || name === "enter") press("enter");
    else if (name === "escape") press("cancel");
    else if (name === "backspace" || name === "delete") press("clear");
    else if (name === "f1" || name === "f2" || name === "up" || name === "down") press(name);
    else if (str === "m") press("menu");
    else if (str === "q") return quit();
    else if (str === "c" || name === "right") selected = (selected + 1) % cards.length;
    else if (str === "C" || name === "left") selected = (selected + cards.length - 1) % cards.length;
    else if (str === "s") cardAction("swipe");
    else if (str === "i") cardAction("insert");
    else if (str === "t") cardAction("tap");
    else if (str === "r") cardAction("remove");
    else if (str === "a") void setup();
    else if (control && str === "n") {
      control.normal();
      message = "主机: 正常 (host normal)";
    } else if (control && str === "x") mode = { kind: "code", text: "" };
    else if (control && str === "d") message = `主机应答延迟 ${control.cycleDelay()} s (host delay)`;
    else if (control && str === "o") {
      control.setOutage(!control.outage);
      message = control.outage ? "主机停机: 新连接被立即关闭 (outage on)" : "主机恢复 (outage off)";
    }
    render();
  };

  emitKeypressEvents(input);
  if (input.isTTY) input.setRawMode(true);
  input.on("keypress", onKey);
  input.resume();
  const onResize = () => {
    prev = undefined;
    render();
  };
  output.on("resize", onResize);
  const onSignal = () => quit();
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  process.on("SIGINT", onSignal);
  // The alternate screen, cursor hidden; restored however the session ends.
  output.write("\x1b[?1049h\x1b[?25l");
  const timer = setInterval(render, REFRESH_MS);
  render();

  const code = await finished;
  clearInterval(timer);
  input.off("keypress", onKey);
  output.off("resize", onResize);
  process.off("SIGTERM", onSignal);
  process.off("SIGHUP", onSignal);
  process.off("SIGINT", onSignal);
  if (input.isTTY) input.setRawMode(false);
  input.pause();
  output.write("\x1b[0m\x1b[?25h\x1b[?1049l");
  output.write("closing the terminal and the host...\n");
  const r = await session.close(0);
  output.write(`engine: ${r.status} (exit ${r.exitCode})${r.error ? " " + r.error.split("\n")[0] : ""}${slipSaved ? `; last slip PNG: ${slipPng}` : ""}\n`);
  return code === 0 && (r.status === "exit" || r.status === "stopped") ? 0 : 1;
}
