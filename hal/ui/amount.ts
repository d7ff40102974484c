/** The amount entry screen: digits shift in from the right as fen, CLEAR erases one, ENTER confirms. */
import { HalError } from "../errors";
import type { Display } from "./display";
import { isDigitKey, type Keypad } from "./keypad";

export interface AmountEntryOptions {
  title?: string;
  label?: string;
  prompt?: string;
  /** Most digits (fen) accepted; 9 = 9999999.99 yuan. */
  maxDigits?: number;
  /** Inactivity timeout per key (ms). */
  timeoutMs?: number;
  /** Currency sign before the amount. */
  currency?: string;
}

/** Fen to "yuan.jiao-fen": 123456 -> "1234.56". */
export function formatAmount(fen: number): string {
  const neg = fen < 0;
  const v = neg ? -fen : fen;
  const y = Math.floor(v / 100);
  const f = v - y * 100;
  return (neg ? "-" : "") + String(y) + "." + (f < 10 ? "0" : "") + String(f);
}

/** Runs the amount screen; resolves the amount in fen (> 0). E_INPUT_CANCELLED, E_KEY_TIMEOUT. */
export async function enterAmount(display: Display, keypad: Keypad, o: AmountEntryOptions = {}): Promise<number> {
  const maxDigits = o.maxDigits ?? 9;
  if (!(maxDigits >= 1 && maxDigits <= 12)) throw new HalError("E_AMOUNT_OPTIONS", "maxDigits 1..12");
  const timeoutMs = o.timeoutMs ?? 60000;
  const currency = o.currency ?? "￥";
  let digits = "";
  keypad.flush();
  for (;;) {
    const fen = digits === "" ? 0 : Number(digits);
    display.show({
      title: o.title ?? "消费",
      lines: ["", o.label ?? "请输入金额:", { text: currency + formatAmount(fen), align: "right" }],
      prompt: o.prompt ?? "确认键继续 取消键退出",
    });
    const k = await keypad.nextKey(timeoutMs);
    if (isDigitKey(k)) {
      if (digits.length < maxDigits && !(digits === "" && k === "0")) digits += k;
    } else if (k === "clear") digits = digits.slice(0, -1);
    else if (k === "cancel") throw new HalError("E_INPUT_CANCELLED", "amount entry cancelled");
    else if (k === "enter" && fen > 0) return fen;
  }
}
