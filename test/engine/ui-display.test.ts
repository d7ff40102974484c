/**
 * The display driver in the embedded engine against the simulator's panel (which measures characters
 * with the Unicode East Asian Width data of `get-east-asian-width`, not with the driver's table): CJK
 * takes two columns, screens land where they should, nothing overflows. Also checks the driver's width
 * table against that Unicode data over every code point of planes 0-3.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { eastAsianWidth } from "get-east-asian-width";
import { runEntry, results } from "./harness.ts";
import { SimDisplay, panelWidth } from "../../boards/sim/devices/ui.ts";
import { charWidth } from "../../hal/ui/text.ts";

const width = (s: string) => [...s].reduce((w, ch) => w + panelWidth(ch), 0);

let run: Awaited<ReturnType<typeof runEntry>>;
let display: SimDisplay;
let r: Record<string, any>;
const shots: Record<string, string[]> = {};
const attrs: Record<string, Array<{ inverse: boolean; large: boolean }>> = {};

test.before(async () => {
  display = new SimDisplay(8, 20);
  run = await runEntry("test/engine/fixtures/ui-display.ts", {
    extras: [display],
    onLog: (_l, m) => {
      const s = /^STEP (.*)$/.exec(m);
      if (s) {
        shots[s[1]!] = display.panel();
        attrs[s[1]!] = display.panel().map((_, i) => display.attributes(i));
      }
    },
  });
  r = results(run.logs);
});

test("the entry ran to its end", () => {
  assert.is(run.status, "exit", run.error + "\n" + run.logs.join("\n"));
  assert.is(run.exitCode, 0, run.logs.join("\n"));
  assert.equal(r.size, { rows: 8, columns: 20 });
});

test("a screen: title centred and inverse, CJK lines at the right columns, prompt on the last row", () => {
  const p = shots.screen!;
  assert.is(p[0], " ".repeat(8) + "消费" + " ".repeat(8), display.dump());
  assert.ok(attrs.screen![0]!.inverse);
  assert.is(p[1], "卡号:6214****8900" + " ".repeat(20 - width("卡号:6214****8900")));
  assert.is(width("金额:￥12.34"), 12);
  assert.is(p[2], " ".repeat(8) + "金额:￥12.34");
  assert.is(p[3], "Sale 消费 OK" + " ".repeat(8));
  assert.is(p[7], " ".repeat(5) + "请输入密码" + " ".repeat(5));
  for (const line of p) assert.is(width(line), 20, line);
});

test("text wider than the panel is cut at a character boundary by the driver: the panel never overflows", () => {
  const p = shots.fitting!;
  assert.is(p[0], "银联卡交易成功请取走");
  assert.is(p[1], "A银联卡交易成功请取 ");
  assert.is(p[2], "金额       ￥1234.56");
  assert.is(p[3], "这是一个很长  ￥9.99");
  assert.is(p[4], " ".repeat(14) + "右对齐");
  assert.is(p[5], " ".repeat(5) + "ＡＢＣ全角" + " ".repeat(5));
  assert.ok(attrs.fitting![5]!.inverse);
  assert.is(display.overflows, 0);
});

test("long messages wrap by display width (CJK anywhere, narrow text at spaces)", () => {
  const p = shots.wrapped!.map((l) => l.replace(/ +$/, ""));
  assert.is(p[0]!.trim(), "提示");
  assert.equal(p.slice(1), ["交易失败，请重新插卡", "或刷卡。The card was", "removed too early,", "please insert it", "again.", "", ""]);
});

test("widths measured in the engine equal the Unicode data; fitting never splits a wide character", () => {
  for (const [s, w] of r.widths as Array<[string, number]>) assert.is(w, width(s), s);
  assert.equal(r.fit, ["消费", "ab", ""]);
  assert.is(r.badRow, "E_DISPLAY_ROW");
});

test("the driver's width table equals Unicode East Asian Width (W/F = 2) over planes 0-3", () => {
  let mismatches = 0;
  let first = -1;
  for (let cp = 0; cp <= 0x3ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (charWidth(cp) !== eastAsianWidth(cp)) {
      mismatches++;
      if (first < 0) first = cp;
    }
  }
  assert.is(mismatches, 0, `first mismatch at U+${first.toString(16)}`);
});

test.run();
