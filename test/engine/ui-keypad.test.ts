/** The keypad driver and amount entry in the embedded engine against the simulator's keypad and panel. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEntry, results } from "./harness.ts";
import { SimDisplay, SimKeypad, type KeyCode } from "../../boards/sim/devices/ui.ts";


const ALL: KeyCode[] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "enter", "cancel", "clear", "menu", "up", "down", "f1", "f2"];

let run: Awaited<ReturnType<typeof runEntry>>;
let display: SimDisplay;
let keypad: SimKeypad;
let r: Record<string, any>;
let afterClose = -1;

test.before(async () => {
  display = new SimDisplay(8, 20);
  keypad = new SimKeypad();
  run = await runEntry("test/engine/fixtures/ui-keypad.ts", {
    extras: [display, keypad],
    onLog: (_l, m) => {
      if (m === "STEP press-all") keypad.press(...ALL);
      else if (m === "STEP typeahead") keypad.press("down", "down", "enter");
      else if (m === "STEP stale") keypad.press("9");
      else if (m === "STEP amount") keypad.press("0", "1", "2", "3", "4", "5", "clear", "0", "enter");
      else if (m === "STEP amount-cancel") keypad.press("7", "cancel");
      else if (m === "STEP after-close") afterClose = keypad.press("1");
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
});

test("every key arrives in order through nextKey", () => {
  assert.equal(r.order, ALL);
});

test("keys pressed before anyone asks are kept in order (type-ahead); flush drops them", () => {
  assert.equal(r.typeahead, ["down", "down", "enter"]);
  assert.is(r.flushed, "E_KEY_TIMEOUT");
  assert.ok(r["timeout-elapsed"] >= 2000);
});

test("one waiter at a time", () => {
  assert.is(r.busy, "E_KEYPAD_BUSY");
  assert.is(r["first-still-waits"], "E_KEY_TIMEOUT");
});

test("the subscription saw every key until unsubscribed", () => {
  assert.is(r.subscribed, ALL.length + 4);
  assert.is(r["subscribed-after"], ALL.length + 4);
});

test("amount entry: digits shift in as fen, CLEAR erases one, ENTER confirms; each key redraws the amount", () => {
  assert.is(r.amount, 12340);
  const amounts = display.frames.map((f) => f[3]!.trim()).filter((a) => a.startsWith("￥"));
  const seq = amounts.filter((a, i) => i === 0 || a !== amounts[i - 1]);
  assert.equal(seq.slice(0, 8), ["￥0.00", "￥0.01", "￥0.12", "￥1.23", "￥12.34", "￥123.45", "￥12.34", "￥123.40"]);
  const f = display.frames.find((x) => x[3]!.trim() === "￥123.40")!;
  assert.is(f[0], " ".repeat(8) + "消费" + " ".repeat(8));
  assert.is(f[2]!.trim(), "请输入金额:");
  assert.ok(f[3]!.endsWith("￥123.40"));
  assert.is(display.overflows, 0);
});

test("amount entry: CANCEL -> E_INPUT_CANCELLED; no key -> E_KEY_TIMEOUT; closed keypad", () => {
  assert.is(r["amount-cancel"], "E_INPUT_CANCELLED");
  assert.is(r["amount-timeout"], "E_KEY_TIMEOUT");
  assert.is(r.closed, "E_KEYPAD_CLOSED");
  assert.is(afterClose, 0);
});

test.run();
