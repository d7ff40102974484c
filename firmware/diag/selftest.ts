/**
 * The one-key self-test (自检): every part a transaction needs, checked in turn, each item ok / warn / fail with
 * what was seen and, when not ok, the diagnosis (cause, next step in Chinese and English, who fixes it), printed
 * as a report on the terminal's printer (32 columns, Chinese) and returned as data (the agent's `selfTest`).
 *
 *   SIM          AT+CPIN? (inserted, PIN/PUK, failure)
 *   信号         AT+CSQ (no signal: CSQ 99; weak: at or below -95 dBm)
 *   网络注册     +CEREG/+CREG (home/roaming; denied = arrears; searching)
 *   数据连接     the PDP context's address (the link manager brings it up for the echo)
 *   中心回响     0820 network test through Terminal.echo(), over whichever link works
 *   密钥         TMK and the active bank's working keys in the PED, their check values against the ones the
 *                last sign-in installed (recorded by recordSignIn)
 *   时钟         not before the firmware's date; not drifted from the host's time of the last sign-in
 *   打印机       DLE EOT status: paper, cover, head temperature, head/motor/cutter faults; the report is the test slip
 *   读卡器       magstripe reader open; contact and contactless slots open and answering
 *   密码键盘     the PED answers and holds a TMK
 *   存储         the store's use, compactions and torn records, a scratch record written and read back
 *   流水         journal records used / capacity
 */
import type { Hal } from "../../hal/index";
import { errorCode } from "../../hal/errors";
import type { PinPad } from "../../hal/ped/pinpad";
import type { Printer, PrintLine } from "../../hal/escpos/printer";
import type { MagstripeReader } from "../../hal/card/index";
import type { QuectelModem } from "../../hal/modem/quectel";
import type { LinkManager } from "../../hal/link/manager";
import { spreadText, wrapText, fitText } from "../../hal/ui/text";
import type { FlashLog } from "../store/flash-log";
import type { Terminal } from "../terminal/terminal";
import { TMK_SLOT, BANKS } from "../terminal/signin";
import { RecordReader, RecordWriter } from "../txn/record-codec";
import { civilFromDays } from "../receipt/slip";
import { readBootCount } from "../app/plumbing";
import { diagnose, failureEvidence, WEAK_SIGNAL_DBM, type Evidence, type ModemEvidence } from "./diagnose";
import { FIXER_ZH, type Fixer } from "./causes";

/** Store key of the sign-in record (check values and the host's time), beside the app's settings (0x0300). */
export const KEY_DIAG_SIGNIN = 0x0310;
/** Store key of the scratch record the flash check writes, reads back and deletes. */
export const KEY_DIAG_SCRATCH = 0x0311;
/** The firmware's date: an RTC before it has lost its time (battery). */
export const FIRMWARE_DATE_MS = 1748736000000; // 2025-06-01T00:00:00Z
/** RTC drift from the host's time (carried forward on the monotonic clock) that warns, and that fails. */
export const DRIFT_WARN_MS = 60000;
export const DRIFT_FAIL_MS = 300000;
/** Journal use that warns (fraction of capacity); full fails. */
export const JOURNAL_WARN = 0.8;
/** Store use that warns / fails (fraction of the partition less one sector kept for compaction). */
export const STORE_WARN = 0.75;
export const STORE_FAIL = 0.9;
/** CSQ at or below this is weak (the link manager's default, about -95 dBm). */
export const WEAK_RSSI = 9;

export type Verdict = "ok" | "warn" | "fail";

export interface SelfTestItem {
  id: string;
  /** Chinese name, as printed. */
  name: string;
  verdict: Verdict;
  /** What was seen (Chinese, short; no secrets: check values are not keys). */
  evidence: string[];
  /** When not ok: the diagnosis. */
  cause?: string;
  code?: string;
  zh?: string;
  en?: string;
  next?: string;
  nextEn?: string;
  fixer?: Fixer;
}

export interface SelfTestReport {
  /** RTC at the start, ms since the epoch. */
  time: number;
  items: SelfTestItem[];
  ok: number;
  warn: number;
  fail: number;
  /** The report slip was printed (false: the printer failed; see printError). */
  printed: boolean;
  printError?: string;
}

/** What the self-test reads: the terminal app's parts (TerminalApp has them all). */
export interface SelfTestHost {
  hal: Hal;
  terminal: Terminal;
  pinpad: PinPad;
  printer: Printer | undefined;
  reader: MagstripeReader | undefined;
  store: FlashLog;
  link: LinkManager;
  modem?: QuectelModem;
  cardNative?: Natives.Board["card"];
  /** The app's chip readers when it holds the slots open (then the native slots answer "busy"). */
  contact?: { readonly present: boolean } | undefined;
  contactless?: { readonly present: boolean } | undefined;
}

export interface SelfTestOptions {
  /** Print the report (default true). */
  print?: boolean;
  log?(level: 1 | 2 | 3, text: string): void;
}

// ---- the sign-in record ------------------------------------------------------------------------------------

interface SignInRecord {
  bank: number;
  boot: number;
  rtc: number;
  mono: number;
  kcv: string[];
}

function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? "0" : "") + b[i]!.toString(16).toUpperCase();
  return s;
}

const KEY_NAMES = ["PIK", "MAK", "TDK"];

function bankSlots(bank: number): number[] {
  const b = BANKS[bank & 1]!;
  return [b.pik, b.mak, b.tdk];
}

/**
 * After a successful sign-in: the check values of the working keys the PED now holds and the host's time (the
 * sign-in has just set the RTC from fields 12/13), for the self-test's key and clock checks. Never throws.
 */
export function recordSignIn(h: { hal: Hal; terminal: Terminal; pinpad: PinPad; store: FlashLog }): void {
  try {
    const bank = h.terminal.keys.state.bank;
    const w = new RecordWriter(64).u8(1).u8(bank).u32(readBootCount(h.hal.flash)).u48(Math.max(0, Math.floor(h.hal.time.now()))).u48(Math.floor(h.hal.time.monotonic()));
    const slots = bankSlots(bank);
    for (let i = 0; i < slots.length; i++) w.str(h.pinpad.hasKey(slots[i]!) ? hex(h.pinpad.kcv(slots[i]!)) : "");
    h.store.put(KEY_DIAG_SIGNIN, w.finish());
  } catch {
    // the record is evidence, not a condition of the sign-in
  }
}

function readSignIn(store: FlashLog): SignInRecord | undefined {
  const b = store.get(KEY_DIAG_SIGNIN);
  if (!b) return undefined;
  try {
    const r = new RecordReader(b);
    if (r.u8() !== 1) return undefined;
    const rec: SignInRecord = { bank: r.u8(), boot: r.u32(), rtc: r.u48(), mono: r.u48(), kcv: [] };
    for (let i = 0; i < 3; i++) rec.kcv.push(r.str());
    return rec;
  } catch {
    return undefined;
  }
}

// ---- items -------------------------------------------------------------------------------------------------

function item(id: string, name: string): SelfTestItem {
  return { id, name, verdict: "ok", evidence: [] };
}

/** Marks an item warn/fail with the diagnosis of `ev`. */
function judge(it: SelfTestItem, verdict: Verdict, ev: Evidence): SelfTestItem {
  const d = diagnose({ operation: "self-test", ...ev });
  it.verdict = verdict;
  it.cause = d.cause.id;
  it.code = d.code;
  it.zh = d.cause.zh;
  it.en = d.cause.en;
  it.next = d.cause.nextZh;
  it.nextEn = d.cause.nextEn;
  it.fixer = d.cause.fixer;
  return it;
}

function signalText(m: ModemEvidence): string {
  return `CSQ ${m.csq ?? "?"}${m.dbm !== undefined ? " " + m.dbm + "dBm" : ""}`;
}

const STAT_TEXT: { readonly [s: number]: string } = { 0: "未搜索", 1: "已注册(本地)", 2: "搜索中", 3: "被拒绝", 4: "未知", 5: "已注册(漫游)" };

interface CellularResult {
  sim: SelfTestItem;
  signal: SelfTestItem;
  registration: SelfTestItem;
  modem: ModemEvidence;
  /** The radio is fit for a data context. */
  registered: boolean;
}

async function checkCellular(modem: QuectelModem): Promise<CellularResult> {
  const sim = item("sim", "SIM卡");
  const signal = item("signal", "信号");
  const registration = item("registration", "网络注册");
  const m: ModemEvidence = {};
  const skip = (it: SelfTestItem, why: string) => {
    it.verdict = "warn";
    it.evidence.push("未检测: " + why);
  };
  try {
    await modem.start({ timeoutMs: 15000 });
  } catch (e) {
    judge(sim, "fail", { error: errorCode(e) === "E_MODEM_NOT_READY" ? "E_LINK_MODEM_FAILURE" : errorCode(e) });
    sim.evidence.push("4G模块无响应");
    skip(signal, "模块无响应");
    skip(registration, "模块无响应");
    return { sim, signal, registration, modem: m, registered: false };
  }
  try {
    await modem.simReady({ timeoutMs: 8000, pollMs: 500 });
    m.cpin = "READY";
    sim.evidence.push("SIM 就绪 READY");
    try {
      sim.evidence.push("ICCID " + (await modem.iccid()));
    } catch {
      // the ICCID is evidence only
    }
  } catch (e) {
    const ev = (e as { evidence?: ModemEvidence }).evidence ?? {};
    if (ev.cpin) m.cpin = ev.cpin;
    if (ev.cme !== undefined) m.cme = ev.cme;
    judge(sim, "fail", { error: errorCode(e), modem: m });
    sim.evidence.push(`SIM ${m.cpin ?? (m.cme !== undefined ? "CME " + m.cme : errorCode(e))}`);
  }
  try {
    const s = await modem.signal();
    m.csq = s.rssi;
    if (s.dbm !== undefined) m.dbm = s.dbm;
    signal.evidence.push(signalText(m));
    if (s.rssi === 99) judge(signal, "fail", { error: "E_NO_SIGNAL", modem: m });
    else if (s.rssi <= WEAK_RSSI || (s.dbm !== undefined && s.dbm < WEAK_SIGNAL_DBM)) judge(signal, "warn", { error: "E_LINK_WEAK_SIGNAL", modem: m });
  } catch (e) {
    judge(signal, "fail", { error: errorCode(e) });
  }
  if (sim.verdict === "fail") {
    skip(registration, "SIM卡异常");
    return { sim, signal, registration, modem: m, registered: false };
  }
  try {
    const r = await modem.waitRegistered({ timeoutMs: 20000, pollMs: 1000 });
    m.stat = r.stat;
    registration.evidence.push(`注册状态 ${r.stat} ${STAT_TEXT[r.stat] ?? ""}`);
    try {
      const op = await modem.operator();
      if (op.name) {
        m.operator = op.name;
        registration.evidence.push("运营商 " + op.name);
      }
    } catch {
      // evidence only
    }
    return { sim, signal, registration, modem: m, registered: true };
  } catch (e) {
    const ev = (e as { evidence?: ModemEvidence }).evidence ?? {};
    if (ev.stat !== undefined) m.stat = ev.stat;
    if (ev.csq !== undefined) m.csq = ev.csq;
    if (ev.dbm !== undefined) m.dbm = ev.dbm;
    registration.evidence.push(`注册状态 ${m.stat ?? "?"} ${STAT_TEXT[m.stat ?? 4] ?? ""}`);
    judge(registration, "fail", { error: errorCode(e), modem: m });
    return { sim, signal, registration, modem: m, registered: false };
  }
}

async function checkEcho(h: SelfTestHost): Promise<SelfTestItem> {
  const it = item("echo", "中心回响");
  const st = h.terminal.state();
  const t0 = h.hal.time.monotonic();
  try {
    const r = await h.terminal.echo();
    const ms = h.hal.time.monotonic() - t0;
    it.evidence.push(`应答码 ${r.code} 用时 ${ms}ms`);
    if (h.link.active) it.evidence.push("链路 " + h.link.active);
    // A terminal that is not activated is unknown to the host whatever it answers.
    if (r.code !== "00") judge(it, "fail", st.activated ? { responseCode: r.code } : { error: "E_NOT_ACTIVATED", activated: false });
  } catch (e) {
    const ev: Evidence = { error: errorCode(e), activated: st.activated, ...failureEvidence(e, h.link.linkLog()) };
    judge(it, "fail", ev);
    for (const l of ev.linkSteps ?? []) it.evidence.push("链路 " + l);
  }
  return it;
}

async function checkPdp(modem: QuectelModem, cell: CellularResult, h: SelfTestHost): Promise<SelfTestItem> {
  const it = item("pdp", "数据连接");
  if (!cell.registered) {
    it.verdict = "warn";
    it.evidence.push("未检测: 未注册网络");
    return it;
  }
  try {
    const ip = await modem.pdpAddress();
    if (ip) {
      it.evidence.push("IP " + ip);
      const apn = h.link.cellularStatus?.apn;
      if (apn) it.evidence.push("APN " + apn);
      return it;
    }
  } catch (e) {
    return judge(it, "fail", { error: errorCode(e) });
  }
  // No context: what did the link manager's last bring-up say?
  const log = h.link.linkLog();
  for (let i = log.length - 1; i >= 0; i--) {
    const s = log[i]!;
    if (s.link === "cellular" && s.outcome === "fail" && /pdp|apn/.test(s.step)) {
      it.evidence.push(`${s.step} ${s.code ?? ""} ${s.detail}`.trim());
      return judge(it, "fail", { error: s.code === "E_PDP_FAILED" ? "E_PDP_FAILED" : "E_LINK_PDP_FAILED", modem: cell.modem });
    }
  }
  it.evidence.push("未激活");
  return judge(it, "fail", { error: "E_PDP_FAILED", modem: cell.modem });
}

function checkKeys(h: SelfTestHost): { keys: SelfTestItem; ped: SelfTestItem } {
  const keys = item("keys", "密钥");
  const ped = item("ped", "密码键盘");
  const st = h.terminal.state();
  let tmk: boolean;
  try {
    tmk = h.pinpad.hasKey(TMK_SLOT);
    ped.evidence.push("响应正常");
  } catch (e) {
    judge(ped, "fail", { error: errorCode(e).indexOf("E_PED") === 0 ? errorCode(e) : "E_PED_" + errorCode(e).replace(/^E_/, "") });
    ped.evidence.push("无响应 " + errorCode(e));
    keys.verdict = "warn";
    keys.evidence.push("未检测: 密码键盘异常");
    return { keys, ped };
  }
  if (!tmk) {
    ped.evidence.push("主密钥 无");
    judge(ped, "warn", { error: st.activated ? "E_KEY_MISSING" : "E_NOT_ACTIVATED", activated: st.activated });
    judge(keys, "fail", { error: st.activated ? "E_KEY_MISSING" : "E_NOT_ACTIVATED", activated: st.activated });
    keys.evidence.push("主密钥 无");
    return { keys, ped };
  }
  try {
    ped.evidence.push("主密钥 已装载 KCV " + hex(h.pinpad.kcv(TMK_SLOT)));
  } catch (e) {
    judge(ped, "fail", { error: "E_PED_KCV" });
    ped.evidence.push("主密钥校验值读取失败 " + errorCode(e));
  }
  keys.evidence.push("主密钥 已装载");
  if (!st.activated) {
    judge(keys, "fail", { error: "E_NOT_ACTIVATED", activated: false });
    return { keys, ped };
  }
  if (!st.signedIn) {
    keys.evidence.push("工作密钥 未签到");
    judge(keys, "warn", { error: "E_NOT_SIGNED_IN" });
    return { keys, ped };
  }
  const bank = h.terminal.keys.state.bank;
  const slots = bankSlots(bank);
  const rec = readSignIn(h.store);
  let mismatch = false;
  let missing = false;
  for (let i = 0; i < slots.length; i++) {
    const want = rec && rec.bank === bank ? rec.kcv[i]! : undefined;
    let got = "";
    try {
      got = h.pinpad.hasKey(slots[i]!) ? hex(h.pinpad.kcv(slots[i]!)) : "";
    } catch {
      got = "";
    }
    if (!got && i === 2 && !want) continue; // no TDK in this sign-in mode
    if (!got) {
      missing = true;
      keys.evidence.push(`${KEY_NAMES[i]} 缺失`);
    } else if (want !== undefined && want !== got) {
      mismatch = true;
      keys.evidence.push(`${KEY_NAMES[i]} KCV ${got} 应为 ${want}`);
    } else keys.evidence.push(`${KEY_NAMES[i]} KCV ${got}${want !== undefined ? " 一致" : ""}`);
  }
  if (mismatch) judge(keys, "fail", { error: "E_KCV_MISMATCH" });
  else if (missing) judge(keys, "fail", { error: "E_KEY_MISSING" });
  else if (!rec || rec.bank !== bank) {
    keys.evidence.push("无签到记录，未比对");
    keys.verdict = "warn";
  }
  return { keys, ped };
}

function checkClock(h: SelfTestHost): SelfTestItem {
  const it = item("clock", "时钟");
  const now = h.hal.time.now();
  it.evidence.push("时间 " + dateTime(now));
  if (now < FIRMWARE_DATE_MS) {
    it.evidence.push("早于固件日期 " + dateTime(FIRMWARE_DATE_MS).slice(0, 10));
    return judge(it, "fail", { error: "E_CLOCK", clockMs: now });
  }
  const rec = readSignIn(h.store);
  if (!rec) {
    it.evidence.push("无中心时间记录");
    return it;
  }
  if (rec.boot === readBootCount(h.hal.flash)) {
    const expected = rec.rtc + (h.hal.time.monotonic() - rec.mono);
    const drift = Math.round((now - expected) / 1000);
    it.evidence.push(`与中心时间偏差 ${drift}秒`);
    const abs = Math.abs(drift) * 1000;
    if (abs > DRIFT_FAIL_MS) return judge(it, "fail", { error: "E_CLOCK" });
    if (abs > DRIFT_WARN_MS) return judge(it, "warn", { error: "E_CLOCK" });
  } else {
    it.evidence.push("上次签到 " + dateTime(rec.rtc));
    if (now + DRIFT_FAIL_MS < rec.rtc) {
      it.evidence.push("时钟倒退");
      return judge(it, "fail", { error: "E_CLOCK" });
    }
  }
  return it;
}

async function checkPrinter(h: SelfTestHost): Promise<SelfTestItem> {
  const it = item("printer", "打印机");
  const p = h.printer;
  if (!p) {
    it.evidence.push("未配置打印机");
    return judge(it, "fail", { error: "E_PRINTER_FAULT" });
  }
  try {
    const s = await p.status();
    it.evidence.push(`纸 ${s.paperOut ? "缺纸" : s.paperNearEnd ? "将尽" : "正常"} 仓盖 ${s.coverOpen ? "打开" : "关闭"}`);
    it.evidence.push(`打印头温度 ${s.overheat ? "过热" : "正常"}`);
    if (s.cutterError || s.unrecoverable || s.error) it.evidence.push(`故障位 ${s.raw.join(",")}`);
    if (s.coverOpen) return judge(it, "fail", { error: "E_PRINTER_COVER_OPEN" });
    if (s.paperOut) return judge(it, "fail", { error: "E_PRINTER_PAPER_OUT" });
    if (s.overheat) return judge(it, "fail", { error: "E_PRINTER_OVERHEAT" });
    if (s.cutterError || s.unrecoverable || s.error || !s.online) return judge(it, "fail", { error: "E_PRINTER_FAULT" });
    if (s.paperNearEnd) {
      it.verdict = "warn";
      it.evidence.push("请备好打印纸");
    }
  } catch (e) {
    it.evidence.push("无应答 " + errorCode(e));
    judge(it, "fail", { error: "E_PRINTER_FAULT" });
  }
  return it;
}

function checkCardReader(h: SelfTestHost): SelfTestItem {
  const it = item("card", "读卡器");
  it.evidence.push("磁条 " + (h.reader ? "正常" : "未打开"));
  if (!h.reader) judge(it, "fail", { error: "E_CARD_READER" });
  const native = h.cardNative;
  if (!native) return it;
  const kinds: Array<"contact" | "contactless"> = ["contact", "contactless"];
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    const name = k === "contact" ? "芯片" : "非接";
    const held = k === "contact" ? h.contact : h.contactless;
    if (held) {
      // The app's reader has the slot open: it answers for it.
      it.evidence.push(name + (held.present ? " 有卡" : " 正常"));
      if (held.present && k === "contact" && it.verdict === "ok") {
        it.verdict = "warn";
        it.evidence.push("请取出卡片");
      }
      continue;
    }
    try {
      const slot = native.open({ slot: k });
      const present = slot.present;
      slot.close();
      it.evidence.push(name + (present ? " 有卡" : " 正常"));
      if (present && k === "contact" && it.verdict === "ok") {
        it.verdict = "warn";
        it.evidence.push("请取出卡片");
      }
    } catch (e) {
      const c = errorCode(e) !== "E_UNKNOWN" ? errorCode(e) : /^(E_[A-Z_]+)/.exec(String((e as Error).message))?.[1] ?? "E_UNKNOWN";
      // In use by a transaction: it answers.
      if (c === "E_CARD_BUSY") it.evidence.push(name + " 使用中");
      else {
        it.evidence.push(name + " 无响应 " + c);
        judge(it, "fail", { error: "E_CARD_READER" });
      }
    }
  }
  return it;
}

function checkFlash(h: SelfTestHost): SelfTestItem {
  const it = item("flash", "存储");
  try {
    const s = h.store.stats();
    const size = h.hal.flash.sectorSize;
    const usable = (s.sectors - 1) * size;
    const used = s.liveBytes / usable;
    it.evidence.push(`已用 ${Math.round(used * 100)}% (${s.liveBytes}/${usable}B)`);
    it.evidence.push(`整理 ${s.compactions}次 残缺记录 ${s.tornRecords}`);
    it.evidence.push("擦除次数 不可读(无原生接口)");
    const probe = new Uint8Array(16);
    h.hal.system.random(probe);
    h.store.put(KEY_DIAG_SCRATCH, probe);
    const back = h.store.get(KEY_DIAG_SCRATCH);
    let same = back !== undefined && back.length === probe.length;
    for (let i = 0; same && i < probe.length; i++) if (back![i] !== probe[i]) same = false;
    h.store.delete(KEY_DIAG_SCRATCH);
    it.evidence.push("读写校验 " + (same ? "正常" : "失败"));
    if (!same) return judge(it, "fail", { error: "E_STORE_READBACK" });
    if (used >= STORE_FAIL) return judge(it, "fail", { error: "E_STORE_FULL" });
    if (used >= STORE_WARN || s.tornRecords > 0) return judge(it, "warn", { error: "E_STORE_FULL" });
  } catch (e) {
    it.evidence.push("异常 " + errorCode(e));
    judge(it, "fail", { error: /^E_(STORE|FLASH)_/.test(errorCode(e)) ? errorCode(e) : "E_STORE_FAULT" });
  }
  return it;
}

function checkJournal(h: SelfTestHost): SelfTestItem {
  const it = item("journal", "流水");
  const st = h.terminal.state();
  it.evidence.push(`已用 ${st.journalCount}/${st.journalCapacity}笔`);
  if (st.journalCount >= st.journalCapacity) return judge(it, "fail", { error: "E_JOURNAL_FULL" });
  if (st.journalCount >= st.journalCapacity * JOURNAL_WARN) judge(it, "warn", { error: "E_JOURNAL_FULL" });
  return it;
}

// ---- the run -----------------------------------------------------------------------------------------------

/** Runs every check, prints the report (unless told not to) and returns it. */
export async function runSelfTest(h: SelfTestHost, o: SelfTestOptions = {}): Promise<SelfTestReport> {
  const time = h.hal.time.now();
  const items: SelfTestItem[] = [];
  let cell: CellularResult | undefined;
  if (h.modem) {
    cell = await checkCellular(h.modem);
    items.push(cell.sim, cell.signal, cell.registration);
  }
  // The echo brings the link up (the data context with it), so it runs before the PDP check reads the context.
  const echo = await checkEcho(h);
  if (h.modem && cell) items.push(await checkPdp(h.modem, cell, h));
  items.push(echo);
  const k = checkKeys(h);
  items.push(k.keys, checkClock(h), await checkPrinter(h), checkCardReader(h), k.ped, checkFlash(h), checkJournal(h));
  const report: SelfTestReport = { time, items, ok: 0, warn: 0, fail: 0, printed: false };
  for (let i = 0; i < items.length; i++) report[items[i]!.verdict]++;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.verdict !== "ok") o.log?.(it.verdict === "fail" ? 2 : 1, `self-test ${it.id} ${it.verdict}: ${it.cause ?? "-"} ${it.evidence.join("; ")}`);
  }
  o.log?.(1, `self-test: ${report.ok} ok, ${report.warn} warn, ${report.fail} fail`);
  const printerItem = items.filter((x) => x.id === "printer")[0];
  if (o.print !== false && h.printer && printerItem && printerItem.verdict !== "fail") {
    const st = h.terminal.state();
    try {
      await h.printer.print(selfTestSlip(report, { terminalId: st.terminalId, merchantId: st.merchantId, serial: h.hal.system.serialNumber(), firmware: __VERSION__ }));
      report.printed = true;
    } catch (e) {
      report.printError = errorCode(e);
      try {
        h.printer.cancel();
      } catch {
        // nothing waiting
      }
      // The test slip failed: the printer item says why.
      judge(printerItem, "fail", { error: errorCode(e) });
      printerItem.evidence.push("测试打印失败 " + errorCode(e));
      report.ok = report.warn = report.fail = 0;
      for (let i = 0; i < items.length; i++) report[items[i]!.verdict]++;
    }
  }
  return report;
}

// ---- the report --------------------------------------------------------------------------------------------

const COLS = 32;
const RULE = "--------------------------------";
const VERDICT_TEXT: { readonly [v in Verdict]: string } = { ok: "正常 OK", warn: "警告 WARN", fail: "失败 FAIL" };

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** Beijing time as "YYYY-MM-DD hh:mm:ss". */
export function dateTime(ms: number): string {
  const local = ms + 8 * 3600000;
  const days = Math.floor(local / 86400000);
  const c = civilFromDays(days);
  const s = Math.floor((local - days * 86400000) / 1000);
  return `${c.y}-${two(c.m)}-${two(c.d)} ${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

function wrapped(out: PrintLine[], text: string, indent: string): void {
  const lines = wrapText(text, COLS - indent.length);
  for (let i = 0; i < lines.length; i++) out.push({ text: indent + lines[i]! });
}

/** The report as PrintLines: header, one block per item (verdict, evidence, diagnosis), the totals. */
export function selfTestSlip(r: SelfTestReport, info: { terminalId: string; merchantId: string; serial: string; firmware: string }): PrintLine[] {
  const out: PrintLine[] = [
    { text: "终端自检报告", align: "center", bold: true, wide: true, tall: true },
    { text: "SELF-TEST REPORT", align: "center" },
    { text: RULE },
    { text: "终端号:" + (info.terminalId || "未设置") },
    { text: "商户号:" + (info.merchantId || "未设置") },
    { text: "序列号:" + info.serial },
    { text: "固件版本:" + info.firmware },
    { text: "时间:" + dateTime(r.time) },
    { text: RULE },
  ];
  for (let i = 0; i < r.items.length; i++) {
    const it = r.items[i]!;
    out.push({ text: spreadText(`${i + 1}.${it.name}`, VERDICT_TEXT[it.verdict], COLS), bold: it.verdict !== "ok" });
    for (let j = 0; j < it.evidence.length; j++) wrapped(out, it.evidence[j]!, "  ");
    if (it.verdict !== "ok" && it.zh) {
      wrapped(out, "原因:" + it.zh, "  ");
      wrapped(out, "处理:" + it.next, "  ");
      wrapped(out, FIXER_ZH[it.fixer!], "  ");
    }
  }
  out.push({ text: RULE }, { text: `结果: 正常${r.ok} 警告${r.warn} 失败${r.fail}`, bold: true });
  out.push({ text: r.fail ? "请按提示处理失败项目" : r.warn ? "终端可用，请留意警告项目" : "终端状态良好" });
  out.push({ feed: 3 }, { cut: "partial" });
  return out;
}

/** The result screen: totals, then each item that is not ok with its cause (fits `columns`). */
export function selfTestScreen(r: SelfTestReport, columns: number, rows: number): string[] {
  const lines = [fitText(`正常${r.ok} 警告${r.warn} 失败${r.fail}`, columns)];
  for (let i = 0; i < r.items.length && lines.length < rows; i++) {
    const it = r.items[i]!;
    if (it.verdict === "ok") continue;
    lines.push(fitText((it.verdict === "fail" ? "x" : "!") + it.name + " " + (it.zh ?? it.evidence[0] ?? ""), columns));
  }
  if (lines.length === 1) lines.push("全部正常");
  if (lines.length < rows) lines.push(r.printed ? "报告已打印" : "报告未打印");
  return lines;
}

/** The report as plain data for the agent (CBOR: no undefined). */
export function selfTestData(r: SelfTestReport): { [k: string]: unknown } {
  return {
    // seconds: an epoch in ms needs 64 bits in CBOR (a BigInt to most decoders)
    timeSec: Math.floor(r.time / 1000),
    ok: r.ok,
    warn: r.warn,
    fail: r.fail,
    printed: r.printed,
    printError: r.printError ?? null,
    items: r.items.map((it) => ({
      id: it.id,
      name: it.name,
      verdict: it.verdict,
      evidence: it.evidence,
      cause: it.cause ?? null,
      code: it.code ?? null,
      zh: it.zh ?? null,
      next: it.next ?? null,
      fixer: it.fixer ?? null,
    })),
  };
}
