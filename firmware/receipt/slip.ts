/**
 * The bank-card sales slip (签购单) of a journal record, merchant and cardholder copies, as PrintLines for the
 * ESC/POS Printer (hal/escpos): merchant name and number, terminal number, operator, masked card number with the
 * entry mode, transaction type, batch, trace (凭证号) and reference numbers, auth code, date/time, amount, and a
 * signature line — or "PIN verified" when the cardholder entered a PIN. Chinese with English, 32 columns
 * (58 mm paper; CJK characters take two columns).
 */
import type { PrintLine } from "../../hal/escpos/printer";
import { maskPan } from "../core/luhn";
import { FLAG_PIN, type JournalRecord } from "../txn/journal";
import type { TxnKind } from "../cup/messages";

export interface SlipInfo {
  merchantName: string;
  merchantId: string;
  terminalId: string;
}

export interface SlipOptions {
  /** "重打印 REPRINT" under the title. */
  reprint?: boolean;
}

const RULE = "--------------------------------";

export const KIND_TEXT: { readonly [K in TxnKind]: string } = {
  balance: "余额查询(BALANCE)",
  sale: "消费(SALE)",
  void: "消费撤销(VOID)",
  refund: "退货(REFUND)",
  preAuth: "预授权(AUTH)",
  preAuthCancel: "预授权撤销(CANCEL)",
  completion: "预授权完成(AUTH COMPLETE)",
  completionVoid: "预授权完成撤销(COMPLETE VOID)",
  offlineSale: "离线消费(OFFLINE SALE)",
};

/** Kinds that give money back: shown with a minus sign. */
const CREDIT: { readonly [K in TxnKind]?: true } = { void: true, refund: true, preAuthCancel: true, completionVoid: true };

const ENTRY_MARK = { swipe: "S", manual: "M", chip: "I", contactless: "C", fallback: "F" } as const;

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** Fen as "123.45". */
export function formatAmount(fen: number): string {
  const yuan = Math.floor(fen / 100);
  return `${yuan}.${two(fen - yuan * 100)}`;
}

/** Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm; no Date/Intl needed). */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** "YYYY/MM/DD hh:mm:ss" of the host's MMDD + hhmmss (year from the terminal's clock), else of the local time (UTC+8). */
export function slipDateTime(rec: JournalRecord): string {
  const local = rec.localTime + 8 * 3600000;
  const days = Math.floor(local / 86400000);
  const c = civilFromDays(days);
  let y = c.y;
  if (rec.hostDate.length === 4 && rec.hostTime.length === 6) {
    const mm = Number(rec.hostDate.substring(0, 2));
    // A host date in January seen from a terminal still in December belongs to the next year, and vice versa.
    if (mm === 1 && c.m === 12) y++;
    else if (mm === 12 && c.m === 1) y--;
    return `${y}/${rec.hostDate.substring(0, 2)}/${rec.hostDate.substring(2)} ${rec.hostTime.substring(0, 2)}:${rec.hostTime.substring(2, 4)}:${rec.hostTime.substring(4)}`;
  }
  const ms = local - days * 86400000;
  const s = Math.floor(ms / 1000);
  return `${y}/${two(c.m)}/${two(c.d)} ${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

function six(n: number): string {
  let s = String(n);
  while (s.length < 6) s = "0" + s;
  return s;
}

function masked(pan: string): string {
  if (pan.indexOf("*") >= 0) return pan; // the journal keeps it masked already (txn/pan-vault.ts)
  try {
    return maskPan(pan);
  } catch {
    return "****";
  }
}

/** One copy of the slip. */
export function slipLines(rec: JournalRecord, info: SlipInfo, copy: "merchant" | "cardholder", opts: SlipOptions = {}): PrintLine[] {
  const lines: PrintLine[] = [
    { text: "POS签购单", align: "center", bold: true, wide: true, tall: true },
    { text: copy === "merchant" ? "商户存根 MERCHANT COPY" : "持卡人存根 CARDHOLDER COPY", align: "center" },
  ];
  if (opts.reprint) lines.push({ text: "重打印 REPRINT", align: "center", bold: true });
  lines.push(
    { text: RULE },
    { text: "商户名称(MERCHANT NAME):" },
    { text: "  " + info.merchantName },
    { text: "商户编号(MERCHANT NO):" },
    { text: "  " + info.merchantId },
    { text: "终端编号(TERMINAL NO):" + info.terminalId },
    { text: "操作员号(OPERATOR):" + rec.operator },
    { text: RULE },
    { text: "卡号(CARD NUMBER):" },
    { text: `  ${masked(rec.pan)} /${ENTRY_MARK[rec.entryMode] ?? "M"}`, bold: true },
  );
  if (rec.acquirerId) lines.push({ text: "收单行号(ACQ NO):" + rec.acquirerId });
  lines.push({ text: "交易类别(TRANS TYPE):" }, { text: "  " + KIND_TEXT[rec.kind], bold: true, tall: true });
  if (rec.expiry.length === 4) lines.push({ text: `有效期(EXP DATE):20${rec.expiry.substring(0, 2)}/${rec.expiry.substring(2)}` });
  lines.push({ text: "批次号(BATCH NO):" + six(rec.batch) }, { text: "凭证号(VOUCHER NO):" + six(rec.stan) });
  if (rec.authCode) lines.push({ text: "授权码(AUTH NO):" + rec.authCode });
  if (rec.rrn) lines.push({ text: "参考号(REF NO):" + rec.rrn });
  lines.push({ text: "日期/时间(DATE/TIME):" }, { text: "  " + slipDateTime(rec) });
  lines.push({ text: "金额(AMOUNT):" }, { text: `RMB ${CREDIT[rec.kind] ? "-" : ""}${formatAmount(rec.amount)}`, align: "right", bold: true, wide: true, tall: true });
  if (rec.origStan || rec.origRrn || rec.origAuth) {
    let ref = "原凭证号(ORIG VOUCHER):" + six(rec.origStan);
    if (rec.origRrn) ref += " 原参考号:" + rec.origRrn;
    lines.push({ text: "备注(REFERENCE):" }, { text: "  " + ref });
    if (rec.origAuth) lines.push({ text: "  原授权码:" + rec.origAuth });
  }
  lines.push({ text: RULE });
  if (rec.flags & FLAG_PIN) lines.push({ text: "密码验证 PIN VERIFIED" });
  if (copy === "merchant") {
    if (!(rec.flags & FLAG_PIN)) lines.push({ text: "持卡人签名 CARDHOLDER SIGNATURE" }, { feed: 2 });
    lines.push({ text: "本人确认以上交易，" }, { text: "同意将其记入本卡账户" });
  }
  lines.push({ feed: 3 }, { cut: "partial" });
  return lines;
}

/** Both copies, merchant first, as the terminal prints them. */
export function slipBothCopies(rec: JournalRecord, info: SlipInfo, opts: SlipOptions = {}): PrintLine[] {
  return [...slipLines(rec, info, "merchant", opts), ...slipLines(rec, info, "cardholder", opts)];
}
