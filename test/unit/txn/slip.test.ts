/**
 * The sales slip of firmware/receipt/slip.ts: the merchant copy line by line for a swiped sale with PIN; the
 * signature line without a PIN, the cardholder copy without it; a void shows the original and a minus sign;
 * REPRINT marked; dates from the host's MMDD/hhmmss with the year of the terminal's clock (across New Year too)
 * or from the local clock in Beijing time (checked against Date); amounts in yuan.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { civilFromDays, formatAmount, slipDateTime, slipLines } from "../../../firmware/receipt/slip.ts";
import { FLAG_PIN, blankRecord, type JournalRecord } from "../../../firmware/txn/journal.ts";
import type { PrintLine, TextLine } from "../../../hal/escpos/printer.ts";

const INFO = { merchantName: "银联测试商户", merchantId: "898100012345678", terminalId: "10000001" };
const text = (lines: PrintLine[]) => lines.filter((l): l is TextLine => "text" in l).map((l) => l.text);

function sale(): JournalRecord {
  return Object.assign(blankRecord("sale"), {
    state: "approved",
    flags: FLAG_PIN,
    stan: 123,
    batch: 1,
    amount: 12800,
    entryMode: "swipe",
    localTime: Date.UTC(2026, 10, 22, 1, 30, 15),
    pan: "6214830012345678900",
    expiry: "2812",
    operator: "01",
    rrn: "093015000001",
    authCode: "000001",
    responseCode: "00",
    hostDate: "1122",
    hostTime: "093015",
    acquirerId: "48020000",
  } as Partial<JournalRecord>);
}

test("merchant copy of a swiped sale with PIN, line by line", () => {
  assert.equal(text(slipLines(sale(), INFO, "merchant")), [
    "POS签购单",
    "商户存根 MERCHANT COPY",
    "--------------------------------",
    "商户名称(MERCHANT NAME):",
    "  银联测试商户",
    "商户编号(MERCHANT NO):",
    "  898100012345678",
    "终端编号(TERMINAL NO):10000001",
    "操作员号(OPERATOR):01",
    "--------------------------------",
    "卡号(CARD NUMBER):",
    "  621483*********8900 /S",
    "收单行号(ACQ NO):48020000",
    "交易类别(TRANS TYPE):",
    "  消费(SALE)",
    "有效期(EXP DATE):2028/12",
    "批次号(BATCH NO):000001",
    "凭证号(VOUCHER NO):000123",
    "授权码(AUTH NO):000001",
    "参考号(REF NO):093015000001",
    "日期/时间(DATE/TIME):",
    "  2026/11/22 09:30:15",
    "金额(AMOUNT):",
    "RMB 128.00",
    "--------------------------------",
    "密码验证 PIN VERIFIED",
    "本人确认以上交易，",
    "同意将其记入本卡账户",
  ]);
  const lines = slipLines(sale(), INFO, "merchant");
  assert.ok(lines.some((l) => "cut" in l), "cut at the end");
});

test("without PIN: a signature line on the merchant copy only; the cardholder copy has neither", () => {
  const r = { ...sale(), flags: 0 };
  const m = text(slipLines(r, INFO, "merchant"));
  assert.ok(m.includes("持卡人签名 CARDHOLDER SIGNATURE"));
  assert.ok(!m.includes("密码验证 PIN VERIFIED"));
  const c = text(slipLines(r, INFO, "cardholder"));
  assert.ok(c.includes("持卡人存根 CARDHOLDER COPY"));
  assert.ok(!c.includes("持卡人签名 CARDHOLDER SIGNATURE"));
  assert.ok(!c.some((l) => l.includes("6214830012345678900")), "never the full PAN");
});

test("a void: minus sign, original voucher and reference, manual entry mark; REPRINT", () => {
  const v = { ...sale(), kind: "void" as const, entryMode: "manual" as const, origStan: 122, origRrn: "093000000009", origAuth: "000007" };
  const t = text(slipLines(v, INFO, "merchant", { reprint: true }));
  assert.ok(t.includes("重打印 REPRINT"));
  assert.ok(t.includes("  消费撤销(VOID)"));
  assert.ok(t.includes("RMB -128.00"));
  assert.ok(t.includes("  621483*********8900 /M"));
  assert.ok(t.includes("  原凭证号(ORIG VOUCHER):000122 原参考号:093000000009"));
  assert.ok(t.includes("  原授权码:000007"));
});

test("dates: host MMDD + hhmmss with the terminal's year (New Year both ways); local Beijing time otherwise", () => {
  assert.is(slipDateTime(sale()), "2026/11/22 09:30:15");
  const lateDec = { ...sale(), localTime: Date.UTC(2026, 11, 31, 15, 59, 0), hostDate: "0101", hostTime: "000030" };
  assert.is(slipDateTime(lateDec), "2027/01/01 00:00:30");
  const earlyJan = { ...sale(), localTime: Date.UTC(2027, 0, 1, 0, 0, 0), hostDate: "1231", hostTime: "235959" };
  assert.is(slipDateTime(earlyJan), "2026/12/31 23:59:59");
  const local = { ...sale(), hostDate: "", hostTime: "", localTime: Date.UTC(2024, 1, 29, 16, 5, 9) };
  assert.is(slipDateTime(local), "2024/03/01 00:05:09", "UTC+8 across a leap day");
  for (const ms of [0, Date.UTC(1999, 11, 31), Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1), Date.UTC(2026, 10, 22)]) {
    const d = new Date(ms);
    assert.equal(civilFromDays(Math.floor(ms / 86400000)), { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() });
  }
  assert.is(formatAmount(5), "0.05");
  assert.is(formatAmount(999999999999), "9999999999.99");
});

test.run();
