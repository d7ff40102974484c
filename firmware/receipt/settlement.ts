/**
 * The settlement report (结算单) of a closed batch, as PrintLines for the ESC/POS Printer: merchant, terminal,
 * operator, batch, date/time, then per half (内卡 domestic, 外卡 foreign) the debit and credit counts and amounts
 * and the host's verdict (对账平 balanced / 对账不平 not balanced, and after a batch upload the reconciled one).
 * 32 columns (58 mm paper; CJK characters take two columns). Reprints say so.
 */
import type { PrintLine } from "../../hal/escpos/printer";
import type { TotalsPart } from "../cup/messages";
import type { SettlementReport } from "../txn/settlement";
import { civilFromDays, formatAmount } from "./slip";

const RULE = "--------------------------------";

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

function six(n: number): string {
  let s = String(n);
  while (s.length < 6) s = "0" + s;
  return s;
}

/** Display width: CJK (and other non-ASCII) characters take two columns. */
function width(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) w += s.charCodeAt(i) < 0x80 ? 1 : 2;
  return w;
}

/** `label` left, `value` right, on 32 columns. */
function row(label: string, value: string): PrintLine {
  let gap = 32 - width(label) - width(value);
  let pad = "";
  while (gap-- > 0) pad += " ";
  return { text: label + (pad || " ") + value };
}

function verdict(r: number): string {
  return r === 1 || r === 0 ? "对账平 BALANCED" : r === 2 ? "对账不平 NOT BALANCED" : `错误 ERROR (${r})`;
}

/** "YYYY/MM/DD hh:mm:ss" in Beijing time. */
function localDateTime(ms: number): string {
  const local = ms + 8 * 3600000;
  const days = Math.floor(local / 86400000);
  const c = civilFromDays(days);
  const s = Math.floor((local - days * 86400000) / 1000);
  return `${c.y}/${two(c.m)}/${two(c.d)} ${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

function half(title: string, t: TotalsPart, first: number, final: number, uploaded: boolean): PrintLine[] {
  const lines: PrintLine[] = [
    { text: title, bold: true },
    row("类型 TYPE", "笔数 CNT  金额 AMT"),
    row("借记 DEBIT", `${t.debitCount}  ${formatAmount(t.debitAmount)}`),
    row("贷记 CREDIT", `${t.creditCount}  ${formatAmount(t.creditAmount)}`),
    { text: "结果(RESULT):" },
    { text: "  " + verdict(first) },
  ];
  if (uploaded) lines.push({ text: "批上送后(AFTER UPLOAD):" }, { text: "  " + verdict(final) });
  return lines;
}

/** The report's lines. */
export function settlementReportLines(r: SettlementReport, opts: { reprint?: boolean } = {}): PrintLine[] {
  const lines: PrintLine[] = [{ text: "结算单", align: "center", bold: true, wide: true, tall: true }, { text: "SETTLEMENT REPORT", align: "center" }];
  if (opts.reprint) lines.push({ text: "重打印 REPRINT", align: "center", bold: true });
  const up = r.uploaded > 0;
  lines.push(
    { text: RULE },
    { text: "商户名称(MERCHANT NAME):" },
    { text: "  " + r.merchantName },
    { text: "商户编号(MERCHANT NO):" },
    { text: "  " + r.merchantId },
    { text: "终端编号(TERMINAL NO):" + r.terminalId },
    { text: "操作员号(OPERATOR):" + r.operator },
    { text: "批次号(BATCH NO):" + six(r.batch) },
    { text: "日期/时间(DATE/TIME):" },
    { text: "  " + localDateTime(r.at) },
    { text: RULE },
    ...half("内卡 DOMESTIC", r.terminalTotals.domestic, r.result[0], r.finalResult[0], up),
    { text: RULE },
    ...half("外卡 FOREIGN", r.terminalTotals.foreign, r.result[1], r.finalResult[1], up),
    { text: RULE },
  );
  if (up) lines.push({ text: `批上送笔数(UPLOADED): ${r.uploaded}` });
  lines.push({ feed: 3 }, { cut: "partial" });
  return lines;
}
