/**
 * The one-key self-test (issue #9) on the firmware image against the virtual devices and the built-in host: a
 * healthy terminal (every item ok, the report printed by the virtual printer, text and PNG written to
 * dist/reports/), F2 from the idle screen, then faults injected in the devices — no paper, SIM in arrears (every
 * eUICC profile denied), a damaged working key in the PED (KCV differs from the sign-in's), a journal nearly
 * full, an RTC that lost its time — each item diagnosed with its cause and who fixes it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/board.ts";
import { ensureBuilt } from "./build-once.ts";
import { TEST_CARDS } from "../../boards/sim/host/factory.ts";
import { decode } from "cbor-x";
import { diagWorld, menuSignIn, screenText, toIdle, TID, MID, type DiagWorld } from "./fixtures/diag-world.ts";

test.before(ensureBuilt);

type Item = { id: string; verdict: string; cause: string | null; fixer: string | null; zh: string | null; evidence: string[] };
const byId = (r: { items: Item[] }) => Object.fromEntries(r.items.map((i) => [i.id, i])) as Record<string, Item>;
const verdicts = (r: { items: Item[] }) => r.items.map((i) => `${i.id}:${i.verdict}${i.cause ? "(" + i.cause + ")" : ""}`).join(" ");

async function signedIn(o: Parameters<typeof diagWorld>[0] = {}): Promise<DiagWorld> {
  const w = await diagWorld(o);
  const s = await menuSignIn(w);
  assert.match(screenText(s), /签到成功/, screenText(s));
  await toIdle(w);
  return w;
}

test("a healthy terminal: every item ok, the report printed (text and PNG in dist/reports)", async () => {
  const w = await signedIn();
  try {
    const before = w.world.printer.text().length;
    const r = await w.world.agent.call("selfTest");
    assert.is(r.fail, 0, verdicts(r));
    assert.is(r.warn, 0, verdicts(r));
    const ids = r.items.map((i: Item) => i.id);
    for (const id of ["sim", "signal", "registration", "pdp", "echo", "keys", "clock", "printer", "card", "ped", "flash", "journal"]) assert.ok(ids.includes(id), `item ${id}`);
    const it = byId(r);
    assert.ok(it.keys!.evidence.some((e) => /MAK KCV [0-9A-F]{8} 一致/.test(e)), it.keys!.evidence.join("|"));
    assert.ok(it.echo!.evidence.some((e) => /应答码 00/.test(e)));
    assert.ok(it.signal!.evidence.some((e) => /CSQ 24 -65dBm/.test(e)), it.signal!.evidence.join("|"));
    assert.ok(it.pdp!.evidence.some((e) => /^IP \d+\.\d+\.\d+\.\d+$/.test(e)), it.pdp!.evidence.join("|"));
    assert.is(r.printed, true);
    // The host saw the 0820 network test.
    assert.ok(w.host.ledger !== undefined);
    const text = w.world.printer.text().slice(before);
    const joined = text.join("\n");
    assert.match(joined, /终端自检报告/);
    assert.match(joined, /结果: 正常12 警告0 失败0/);
    assert.match(joined, /终端号:10000099/);
    // 32 columns: no printed row wider than the paper (CJK counts two).
    const width = (s: string) => [...s].reduce((n, c) => n + (c.charCodeAt(0) < 0x80 ? 1 : 2), 0);
    for (const row of text) assert.ok(width(row) <= 32, `row over 32 columns: "${row}"`);
    const dir = join(ROOT, "dist/reports");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "selftest.txt"), joined + "\n");
    writeFileSync(join(dir, "selftest.png"), w.world.printer.png());
  } finally {
    const res = await w.close();
    assert.is(res.status, "exit", res.error);
  }
});

test("F2 on the idle screen runs the self-test and shows the totals; faults: no paper, damaged key, RTC lost", async () => {
  const w = await signedIn({ printer: { paperLines: 400 } });
  try {
    const a = w.world.agent;
    const done = await a.keys(["f2"], /自检完成|自检: 有故障/);
    assert.match(screenText(done), /正常12 警告0 失败0/, screenText(done));
    assert.match(screenText(done), /报告已打印/);
    await toIdle(w);
    // A damaged MAK in the PED: its check value no longer matches the one the sign-in installed.
    // The MAK slot of either bank (3 or 13; one sign-in loads bank 1): damage whichever holds a MAK.
    const slots = [13, 3].filter((s) => w.world.ped.keyInfo(s)?.usage === "mak");
    assert.ok(slots.length >= 1, "a MAK is loaded");
    for (const s of slots) w.world.ped.corruptKey(s);
    // Paper out, and the RTC set back to 2020 (battery lost).
    w.world.printer.refill(0);
    w.world.host.clock.setRtc(Date.UTC(2020, 0, 1));
    const r = await a.call("selfTest");
    const it = byId(r);
    assert.equal([it.keys!.verdict, it.keys!.cause, it.keys!.fixer], ["fail", "keys-wrong", "acquirer"], verdicts(r));
    assert.ok(it.keys!.evidence.some((e) => /MAK KCV [0-9A-F]{8} 应为 [0-9A-F]{8}/.test(e)), it.keys!.evidence.join("|"));
    assert.equal([it.printer!.verdict, it.printer!.cause, it.printer!.fixer], ["fail", "printer-paper-out", "merchant"], verdicts(r));
    assert.equal([it.clock!.verdict, it.clock!.cause], ["fail", "clock-wrong"], verdicts(r));
    assert.is(r.printed, false);
    assert.is(it.sim!.verdict, "ok");
    // The menu's screen names the failed items.
    await a.keys(["8"], /5自检/);
    const shown = await a.keys(["5"], /自检: 有故障/);
    assert.match(screenText(shown), /密钥.*密钥不匹配/, screenText(shown));
    assert.match(screenText(shown), /打印机.*打印机缺纸/);
    await toIdle(w);
  } finally {
    const res = await w.close();
    assert.is(res.status, "exit", res.error);
  }
});

test("faults: SIM in arrears (every profile denied), printer head fault, journal nearly full, RTC drifted; the export keeps no secret", async () => {
  const w = await signedIn({ params: { journalCapacity: 10 } });
  try {
    const a = w.world.agent;
    w.pin = TEST_CARDS.debit.pin;
    for (let i = 0; i < 8; i++) {
      const o = await a.call("sale", { amount: 100 + i, card: { track2: TEST_CARDS.debit.track2 }, pin: true });
      assert.is(o.status, "approved", `${o.status} ${o.code} ${o.text}`);
    }
    // Every operator profile on the eUICC is barred for arrears; the module restarts and re-reads the card.
    for (const p of (w.world.euicc as unknown as { profiles: Array<{ network: string }> }).profiles) p.network = "denied";
    w.world.dialup.line = "unpaid";
    w.world.modem.reset();
    w.world.printer.fault();
    // The RTC jumps 10 minutes ahead of the host's time carried from the sign-in.
    w.world.host.clock.setRtc(w.world.host.clock.rtc() + 600000);
    const r = await a.call("selfTest");
    const it = byId(r);
    assert.equal([it.sim!.verdict, it.registration!.verdict, it.registration!.cause, it.registration!.fixer], ["ok", "fail", "sim-arrears", "merchant"], verdicts(r));
    assert.ok(it.registration!.evidence.some((e) => /注册状态 3 被拒绝/.test(e)), it.registration!.evidence.join("|"));
    assert.equal([it.echo!.verdict, it.echo!.cause], ["fail", "sim-arrears"], verdicts(r));
    assert.equal([it.journal!.verdict, it.journal!.cause], ["warn", "journal-full"], verdicts(r));
    assert.ok(it.journal!.evidence.includes("已用 8/10笔"), it.journal!.evidence.join("|"));
    assert.equal([it.printer!.verdict, it.printer!.cause, it.printer!.fixer], ["fail", "printer-fault", "service"], verdicts(r));
    assert.is(it.keys!.verdict, "ok", verdicts(r));
    assert.equal([it.clock!.verdict, it.clock!.cause, it.clock!.fixer], ["fail", "clock-wrong", "merchant"], verdicts(r));
    assert.ok(it.clock!.evidence.some((e) => /与中心时间偏差 600秒/.test(e)), it.clock!.evidence.join("|"));
    // The diagnostic export after sales, a sign-in and a self-test: no PAN beyond first 6 / last 4, no key, no
    // PIN block (no hex run of 16+ digits at all), and the self-test's findings are in it.
    const doc = decode(Buffer.from(await a.call("diag")));
    const all = JSON.stringify(doc);
    const keys = w.host.terminals.keys(TID);
    for (const secret of [TEST_CARDS.debit.pan, keys.tmk, keys.pik!, keys.mak!]) assert.not.ok(all.toUpperCase().includes(secret.toUpperCase()), "a secret in the export");
    assert.not.ok(/[0-9A-Fa-f]{16,}/.test(all), "no key-like hex run");
    // (the merchant number is the export's identity field, not a card number)
    const runs = all.replace(/\d{6}\*+\d{4}/g, "").split(MID).join("").match(/\d{13,19}/g) ?? [];
    assert.not.ok(runs.length, `unmasked PAN-like digit runs: ${runs.join(" ")}`);
    assert.ok(doc.log.some((l: unknown[]) => /self-test registration fail: sim-arrears/.test(String(l[3]))), "self-test findings logged");
  } finally {
    const res = await w.close();
    assert.is(res.status, "exit", res.error);
  }
});

test.run();
