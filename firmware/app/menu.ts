/**
 * The menu UI on the display and keypad, in Chinese, driven by key events:
 *   idle: 1 消费  2 撤销  3 退货  4 查询  5 预授权  6 结算  7 签到  8 管理
 *   预授权: 1 预授权  2 预授权撤销  3 预授权完成  4 完成撤销
 *   管理: 1 激活  2 终端号  3 商户号  4 重打印  5 自检  6 签退
 * Every failure shows its diagnosis (cause, next step, who fixes it) until a key is pressed.
 */
import { errorCode } from "../../hal/errors";
import { enterAmount, formatAmount } from "../../hal/ui/amount";
import { isDigitKey, type KeyCode } from "../../hal/ui/keypad";
import type { CardData } from "../cup/messages";
import type { TxnOutcome } from "../terminal/terminal";
import type { TerminalApp } from "./app";
import { runSelfTest, selfTestScreen } from "../diag/selftest";

const KEY_TIMEOUT_MS = 60000;
const RESULT_TIMEOUT_MS = 30000;
const IDLE_WAIT_MS = 3600000;

class Cancelled extends Error {
  readonly code = "E_INPUT_CANCELLED";
}

export class MenuUi {
  /** True while the idle screen is up (the agent refreshes it after its own operations). */
  idle = false;

  constructor(private readonly app: TerminalApp) {}

  showIdle(): void {
    const st = this.app.terminal.state();
    const status = !st.activated ? "未激活" : st.signedIn ? "已签到" : "未签到";
    this.app.display.show({
      title: "银联POS",
      lines: [
        st.merchantName ? st.merchantName : "商户未设置",
        "终端 " + (st.terminalId || "--------") + " " + status,
        "1消费 2撤销 3退货",
        "4查询 5预授权",
        "6结算 7签到 8管理",
        st.reversalPending ? "有待冲正交易" : "批次 " + pad6(st.batch),
      ],
      prompt: "请选择",
    });
    this.idle = true;
  }

  refresh(): void {
    if (this.idle) this.showIdle();
  }

  async run(): Promise<void> {
    for (;;) {
      this.showIdle();
      let k: KeyCode;
      try {
        k = await this.app.keypad.nextKey(IDLE_WAIT_MS);
      } catch {
        continue;
      }
      this.idle = false;
      await this.choose(k);
    }
  }

  private async choose(k: KeyCode): Promise<void> {
    switch (k) {
      case "1":
        return this.guard("sale", "消费", () => this.sale());
      case "2":
        return this.guard("void", "撤销", () => this.voidSale());
      case "3":
        return this.guard("refund", "退货", () => this.refund());
      case "4":
        return this.guard("balance", "余额查询", () => this.balance());
      case "5":
        return this.preAuthMenu();
      case "6":
        return this.guard("settlement", "结算", () => this.settle());
      case "7":
        return this.guard("sign-in", "签到", () => this.signIn());
      case "8":
      case "menu":
        return this.adminMenu();
      case "f2": // 自检 in one key from the idle screen (also 管理 5)
        return this.selfTest();
      default:
        return;
    }
  }

  /** Runs one operation; a failure (thrown or declined) shows its diagnosis. */
  private async guard(operation: string, title: string, work: () => Promise<void>): Promise<void> {
    this.app.busyTitle = title;
    try {
      await work();
    } catch (e) {
      if (e instanceof Cancelled || errorCode(e) === "E_INPUT_CANCELLED") return;
      this.app.busyTitle = undefined;
      this.app.showFailure(title + "失败", this.app.fail(operation, e));
      await this.anyKey();
    } finally {
      this.app.busyTitle = undefined;
    }
  }

  private async anyKey(timeoutMs = RESULT_TIMEOUT_MS): Promise<KeyCode | undefined> {
    this.app.keypad.flush();
    try {
      return await this.app.keypad.nextKey(timeoutMs);
    } catch {
      return undefined;
    }
  }

  /** Digits (masked for passwords); ENTER with fewer than `min` digits waits; CANCEL leaves. */
  async digits(title: string, label: string, min: number, max: number, mask = false): Promise<string> {
    let v = "";
    const kp = this.app.keypad;
    kp.flush();
    for (;;) {
      let shown = mask ? "" : v;
      if (mask) for (let i = 0; i < v.length; i++) shown += "*";
      this.app.display.show({ title, lines: ["", label, { text: shown || "_", align: "right" }], prompt: "确认键继续 取消键退出" });
      const k = await kp.nextKey(KEY_TIMEOUT_MS);
      if (isDigitKey(k)) {
        if (v.length < max) v += k;
      } else if (k === "clear") v = v.slice(0, -1);
      else if (k === "cancel") throw new Cancelled("cancelled");
      else if (k === "enter" && v.length >= min) return v;
    }
  }

  private async card(title: string): Promise<CardData> {
    const reader = this.app.reader;
    if (!reader) throw Object.assign(new Error("E_NO_CARD_READER: no card reader"), { code: "E_NO_CARD_READER" });
    this.app.display.show({ title, lines: ["", "请刷卡"], prompt: "等待刷卡..." });
    const c = await reader.nextSwipe(KEY_TIMEOUT_MS);
    const t = c as unknown as { pan: string; expiry: string; track2?: string; track3?: string };
    return { entryMode: "swipe", pan: t.pan, expiry: t.expiry, track2: t.track2, track3: t.track3 };
  }

  private processing(title: string): void {
    this.app.display.show({ title, lines: ["", "处理中..."], prompt: "请稍候" });
  }

  private supervisor(title: string): Promise<string> {
    return this.digits(title, "主管密码:", 6, 12, true);
  }

  /** The outcome of a transaction: approval details, or the decline's diagnosis. */
  private async result(title: string, operation: string, o: TxnOutcome): Promise<void> {
    const f = this.app.outcomeFailure(operation, o);
    if (f) {
      this.app.showFailure(title + "失败", f);
    } else {
      const r = o.record;
      const lines = ["交易成功"];
      if (o.balance) lines.push("余额 " + formatAmount(o.balance.amount));
      else if (r.amount) lines.push("金额 " + formatAmount(r.amount));
      lines.push("凭证号 " + pad6(r.stan));
      if (r.rrn) lines.push("参考号 " + r.rrn);
      if (r.authCode) lines.push("授权码 " + r.authCode);
      if (o.printed === false && o.printError) lines.push("打印失败 " + o.printError);
      this.app.display.show({ title, lines, prompt: "按任意键返回" });
    }
    await this.anyKey();
  }

  private async sale(): Promise<void> {
    const amount = await enterAmount(this.app.display, this.app.keypad, { title: "消费" });
    const got = await this.saleCard("消费 " + formatAmount(amount));
    this.processing("消费");
    // Chip / contactless (issue #7): the EMV kernel with the host; a swiped chip card gets "请插卡" (chip first).
    if (got.slot) await this.result("消费", "sale", await this.app.terminal.chipSale({ kind: "sale", amount, slot: got.slot, waitMs: 2000 }));
    else await this.result("消费", "sale", await this.app.terminal.sale({ amount, card: got.card!, pin: true, chipFirst: true }));
  }

  /** Insert, tap or swipe, whichever comes first; the other waits are cancelled (the next sale waits afresh). */
  private async saleCard(title: string): Promise<{ card?: CardData; slot?: "contact" | "contactless" }> {
    const app = this.app;
    if (!app.contact && !app.contactless) return { card: await this.card(title) };
    // A card left in the slot from the last sale is not taken again unasked: it must come out first.
    if (app.contact?.present) {
      app.display.show({ title, lines: ["请先拔卡", "remove the card"], prompt: "等待拔卡..." });
      await app.contact.waitForRemoval(KEY_TIMEOUT_MS);
    }
    app.display.show({ title, lines: ["请插卡/挥卡", "或 请刷卡"], prompt: "等待读卡..." });
    const waits: Array<Promise<{ card?: CardData; slot?: "contact" | "contactless" }>> = [];
    if (app.reader) {
      waits.push(
        app.reader.nextSwipe(KEY_TIMEOUT_MS).then((c) => {
          const t = c as unknown as { pan: string; expiry: string; track2?: string; track3?: string };
          return { card: { entryMode: "swipe" as const, pan: t.pan, expiry: t.expiry, track2: t.track2, track3: t.track3 } };
        }),
      );
    }
    if (app.contact) waits.push(app.contact.waitForCard(KEY_TIMEOUT_MS).then(() => ({ slot: "contact" as const })));
    if (app.contactless) waits.push(app.contactless.waitForCard(KEY_TIMEOUT_MS).then(() => ({ slot: "contactless" as const })));
    for (const w of waits) w.catch(() => undefined);
    try {
      return await Promise.race(waits);
    } finally {
      app.reader?.cancelWait();
      app.contact?.cancelWaits();
      app.contactless?.cancelWaits();
    }
  }

  private async voidSale(): Promise<void> {
    const trace = Number(await this.digits("撤销", "原凭证号:", 1, 6));
    const pw = await this.supervisor("撤销");
    this.processing("撤销");
    let o: TxnOutcome;
    try {
      o = await this.app.terminal.voidSale(trace, { supervisorPassword: pw });
    } catch (e) {
      // The journal's sealed PAN cannot be opened (PAN vault, txn/pan-vault.ts: the PED's storage key changed):
      // say so and ask for the original card, then void with it.
      const c = errorCode(e);
      if (c !== "E_PAN_KEY_CHANGED" && c !== "E_PAN_NOT_STORED") throw e;
      this.app.display.show({ title: "撤销", lines: ["原卡号无法读取", "请刷原卡"], prompt: "按任意键继续" });
      await this.anyKey();
      const card = await this.card("撤销 请刷原卡");
      this.processing("撤销");
      o = await this.app.terminal.voidSale(trace, { supervisorPassword: pw, card });
    }
    await this.result("撤销", "void", o);
  }

  private async refund(): Promise<void> {
    const amount = await enterAmount(this.app.display, this.app.keypad, { title: "退货", label: "退货金额:" });
    const rrn = await this.digits("退货", "原参考号:", 12, 12);
    const date = await this.digits("退货", "原交易日期MMDD:", 4, 4);
    const pw = await this.supervisor("退货");
    const card = await this.card("退货");
    this.processing("退货");
    await this.result("退货", "refund", await this.app.terminal.refund({ amount, card, original: { rrn, date }, supervisorPassword: pw }));
  }

  private async balance(): Promise<void> {
    const card = await this.card("余额查询");
    this.processing("余额查询");
    await this.result("余额查询", "balance", await this.app.terminal.balance({ card, pin: true }));
  }

  private async settle(): Promise<void> {
    const pw = await this.supervisor("结算");
    this.processing("结算");
    const s = await this.app.terminal.settle({ supervisorPassword: pw });
    // Domestic and foreign halves of field 48, shown together.
    const d = s.terminalTotals.domestic;
    const f = s.terminalTotals.foreign;
    const t = { debitCount: d.debitCount + f.debitCount, debitAmount: d.debitAmount + f.debitAmount, creditCount: d.creditCount + f.creditCount, creditAmount: d.creditAmount + f.creditAmount };
    this.app.display.show({
      title: "结算",
      lines: [s.balanced ? "对账平" : "对账不平，已上送" + s.uploaded + "笔", "批次 " + pad6(s.batch) + " 完成", "借记 " + t.debitCount + "笔 " + formatAmount(t.debitAmount), "贷记 " + t.creditCount + "笔 " + formatAmount(t.creditAmount), "新批次 " + pad6(s.newBatch)],
      prompt: "按任意键返回",
    });
    await this.anyKey();
  }

  private async signIn(): Promise<void> {
    const no = await this.digits("签到", "操作员号:", 2, 2);
    const pw = await this.digits("签到", "操作员密码:", 4, 12, true);
    this.app.terminal.operatorSignIn(no, pw);
    this.processing("签到");
    const r = await this.app.terminal.signIn();
    if (r.status !== "approved") {
      this.app.showFailure("签到失败", this.app.fail("sign-in", undefined, r.code));
    } else {
      this.app.display.show({ title: "签到", lines: ["签到成功", "操作员 " + no, "批次 " + pad6(r.batch)], prompt: "按任意键返回" });
    }
    await this.anyKey();
  }

  private async preAuthMenu(): Promise<void> {
    this.app.display.show({ title: "预授权", lines: ["1预授权", "2预授权撤销", "3预授权完成", "4完成撤销"], prompt: "请选择 取消键返回" });
    const k = await this.anyKey(KEY_TIMEOUT_MS);
    const t = this.app.terminal;
    if (k === "1")
      return this.guard("pre-auth", "预授权", async () => {
        const amount = await enterAmount(this.app.display, this.app.keypad, { title: "预授权" });
        const card = await this.card("预授权");
        this.processing("预授权");
        await this.result("预授权", "pre-auth", await t.preAuth({ amount, card, pin: true }));
      });
    if (k === "2")
      return this.guard("pre-auth-cancel", "预授权撤销", async () => {
        const trace = Number(await this.digits("预授权撤销", "原凭证号:", 1, 6));
        const pw = await this.supervisor("预授权撤销");
        this.processing("预授权撤销");
        await this.result("预授权撤销", "pre-auth-cancel", await t.preAuthCancel({ trace, supervisorPassword: pw }));
      });
    if (k === "3")
      return this.guard("completion", "预授权完成", async () => {
        const trace = Number(await this.digits("预授权完成", "原凭证号:", 1, 6));
        const amount = await enterAmount(this.app.display, this.app.keypad, { title: "预授权完成", label: "完成金额:" });
        this.processing("预授权完成");
        await this.result("预授权完成", "completion", await t.completion({ trace, amount }));
      });
    if (k === "4")
      return this.guard("completion-void", "完成撤销", async () => {
        const trace = Number(await this.digits("完成撤销", "原凭证号:", 1, 6));
        const pw = await this.supervisor("完成撤销");
        this.processing("完成撤销");
        await this.result("完成撤销", "completion-void", await t.completionVoid(trace, { supervisorPassword: pw }));
      });
  }

  /** 自检 (issue #9): every item checked, the report printed, the totals and the failed items on screen. */
  async selfTest(): Promise<void> {
    const app = this.app;
    app.busyTitle = "自检";
    app.display.show({ title: "自检", lines: ["", "正在检测..."], prompt: "请稍候" });
    try {
      const r = await runSelfTest(app, { log: (level, text) => app.log(level, text) });
      app.display.show({ title: r.fail ? "自检: 有故障" : "自检完成", lines: selfTestScreen(r, app.display.columns, app.display.rows - 2), prompt: "按任意键返回" });
    } finally {
      app.busyTitle = undefined;
    }
    await this.anyKey();
  }

  private async adminMenu(): Promise<void> {
    this.app.display.show({ title: "管理", lines: ["1激活 2终端号", "3商户号 4重打印", "5自检 6签退"], prompt: "请选择 取消键返回" });
    const k = await this.anyKey(KEY_TIMEOUT_MS);
    const t = this.app.terminal;
    if (k === "1")
      return this.guard("activation", "激活", async () => {
        const code = await this.digits("激活", "请输入激活码:", 1, 12);
        this.processing("激活");
        const r = await t.activate(code);
        if (r.status !== "approved") this.app.showFailure("激活失败", this.app.fail("activation", undefined, r.code));
        else this.app.display.show({ title: "激活", lines: ["激活成功", "终端 " + r.terminalId, "商户 " + r.merchantId, r.merchantName ?? ""], prompt: "按任意键返回" });
        await this.anyKey();
      });
    if (k === "2" || k === "3") {
      const isTerminal = k === "2";
      const title = isTerminal ? "终端号" : "商户号";
      return this.guard(isTerminal ? "set-terminal-id" : "set-merchant-id", title, async () => {
        const v = await this.digits(title, isTerminal ? "终端号(8位):" : "商户号(15位):", 1, 20);
        try {
          t.configure(isTerminal ? { terminalId: v } : { merchantId: v });
        } catch (e) {
          // The validation message says what is wrong (length, characters) and what was entered.
          const msg = String((e as Error).message).split(" / ")[0]!;
          this.app.fail(isTerminal ? "set-terminal-id" : "set-merchant-id", e);
          this.app.display.show({ title: title + "无效", message: msg, prompt: "按任意键返回" });
          await this.anyKey();
          return;
        }
        this.app.log(1, `${isTerminal ? "terminal" : "merchant"} number set to ${v}`);
        this.app.display.show({ title, lines: ["已保存", v], prompt: "按任意键返回" });
        await this.anyKey();
      });
    }
    if (k === "4")
      return this.guard("reprint", "重打印", async () => {
        this.processing("重打印");
        const r = await t.reprintLast();
        this.app.display.show({ title: "重打印", lines: ["已重打印", "凭证号 " + pad6(r.stan)], prompt: "按任意键返回" });
        await this.anyKey();
      });
    if (k === "5") return this.selfTest();
    if (k === "6")
      return this.guard("sign-out", "签退", async () => {
        this.processing("签退");
        const r = await t.signOut();
        t.operatorSignOut();
        this.app.display.show({ title: "签退", lines: [r.code === "00" ? "签退成功" : "签退应答 " + r.code], prompt: "按任意键返回" });
        await this.anyKey();
      });
  }
}

function pad6(n: number): string {
  const s = String(n);
  return "000000".substring(s.length) + s;
}
