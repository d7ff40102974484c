/**
 * Field 39 response codes of the CUP dialect (spec/cup-8583.md §8): the text a merchant reads and what
 * the terminal does next. Every code, known or not, maps to a message and an action: an unknown code
 * declines with its raw value shown, is logged, and the flow goes on (no reversal).
 */

/** What the terminal does with the answer. */
export type ResponseAction =
  /** Approved: complete, print. */
  | "approve"
  /** Declined; nothing for the terminal to change. */
  | "decline"
  /** Declined; the operator may correct the input (amount, card) and try again. */
  | "re-enter"
  /** Declined; try again later (issuer/host busy or down). */
  | "retry-later"
  /** Declined; the terminal must sign in again before the next transaction. */
  | "sign-in"
  /** Declined; ask the cardholder to contact the issuer. */
  | "call-issuer"
  /** Declined; the card should be retained (lost, stolen, fraud): tell the operator. */
  | "retain-card"
  /** Declined; insert the chip instead of swiping. */
  | "use-chip"
  /** Declined; the terminal's setup is wrong: stop and call service. */
  | "check-setup";

/** CUP response classes: A success, B may retry, C do not retry, D operator action, E system fault. */
export type ResponseClass = "A" | "B" | "C" | "D" | "E" | "?";

export interface ResponseCode {
  code: string;
  zh: string;
  en: string;
  cls: ResponseClass;
  action: ResponseAction;
  /** False for a code not in the table. */
  known: boolean;
}

// code, 中文, English, class, action
const TABLE: ReadonlyArray<readonly [string, string, string, ResponseClass, ResponseAction]> = [
  ["00", "承兑或交易成功", "Approved", "A", "approve"],
  ["01", "请持卡人与发卡行联系", "Refer to card issuer", "C", "call-issuer"],
  ["03", "无效商户", "Invalid merchant", "C", "check-setup"],
  ["04", "没收卡，请联系收单行", "Pick up card", "D", "retain-card"],
  ["05", "不予承兑/持卡人认证失败", "Do not honour", "C", "decline"],
  ["12", "无效交易", "Invalid transaction", "C", "decline"],
  ["13", "无效金额", "Invalid amount", "B", "re-enter"],
  ["14", "无效卡号", "Invalid card number", "B", "re-enter"],
  ["15", "无此发卡方", "No such issuer", "C", "decline"],
  ["21", "卡未初始化/不做处理", "No action taken", "C", "decline"],
  ["22", "操作有误，POS状态与中心不符", "Suspected malfunction", "C", "sign-in"],
  ["25", "未能找到原始交易", "Original transaction not found", "C", "decline"],
  ["30", "报文格式错误", "Format error", "C", "check-setup"],
  ["33", "过期卡", "Expired card", "D", "decline"],
  ["34", "作弊卡，请没收", "Suspected fraud", "D", "retain-card"],
  ["36", "受限制的卡", "Restricted card", "D", "decline"],
  ["38", "密码错误次数超限", "PIN tries exceeded", "D", "call-issuer"],
  ["40", "不支持的交易类型", "Function not supported", "C", "decline"],
  ["41", "挂失卡，请没收", "Lost card", "D", "retain-card"],
  ["43", "被窃卡，请没收", "Stolen card", "D", "retain-card"],
  ["45", "请插卡交易", "Fallback not allowed: insert chip", "?", "use-chip"],
  ["51", "余额不足", "Insufficient funds", "C", "decline"],
  ["54", "过期的卡", "Expired card", "C", "decline"],
  ["55", "密码错误", "Incorrect PIN", "C", "re-enter"],
  ["57", "不允许持卡人进行的交易", "Not permitted to cardholder", "C", "decline"],
  ["58", "不允许终端进行的交易", "Not permitted to terminal", "C", "decline"],
  ["59", "卡片校验错", "Suspected fraud (card check)", "C", "decline"],
  ["61", "交易金额超限", "Exceeds amount limit", "C", "decline"],
  ["62", "受限制的卡", "Restricted card", "C", "decline"],
  ["64", "原始金额不正确", "Original amount incorrect", "C", "re-enter"],
  ["65", "超出消费次数限制", "Exceeds frequency limit", "C", "decline"],
  ["68", "交易超时，请重试", "Response received too late", "C", "retry-later"],
  ["75", "密码错误次数超限", "PIN tries exceeded", "C", "call-issuer"],
  ["77", "POS批次与中心不一致，请重新签到", "Batch mismatch: sign in again", "D", "sign-in"],
  ["90", "日期切换正在处理", "Cut-off in progress", "C", "retry-later"],
  ["91", "发卡方不能操作", "Issuer inoperative", "C", "retry-later"],
  ["92", "找不到发卡方", "Issuer unreachable", "C", "retry-later"],
  ["94", "重复交易", "Duplicate transmission", "C", "decline"],
  ["96", "系统异常", "System malfunction", "C", "retry-later"],
  ["97", "终端未登记", "Terminal not registered", "D", "check-setup"],
  ["98", "收不到发卡方应答", "Issuer timeout", "E", "retry-later"],
  ["99", "PIN格式错，请重新签到", "PIN block error: sign in again", "B", "sign-in"],
  ["A0", "MAC校验错，请重新签到", "MAC error: sign in again", "B", "sign-in"],
];

let byCode: Map<string, ResponseCode> | undefined;

function table(): Map<string, ResponseCode> {
  if (!byCode) {
    byCode = new Map();
    for (const [code, zh, en, cls, action] of TABLE) byCode.set(code, { code, zh, en, cls, action, known: true });
  }
  return byCode;
}

/** Every code the table knows, in table order. */
export function knownResponseCodes(): string[] {
  return TABLE.map((r) => r[0]);
}

/**
 * Looks a field 39 value up. An unknown or malformed value (lower case, non-ASCII, wrong length) is
 * still answered: 交易失败 with the raw value shown, declined, no reversal.
 */
export function responseCode(raw: string): ResponseCode {
  const hit = table().get(raw);
  if (hit) return hit;
  const shown = printable(raw);
  return { code: shown, zh: `交易失败（应答码 ${shown}）`, en: `Transaction failed (response code ${shown})`, cls: "?", action: "decline", known: false };
}

/** Keeps a host's raw value readable on a receipt or a screen: printable ASCII only, at most 2 characters. */
function printable(raw: string): string {
  let s = "";
  for (let i = 0; i < raw.length && s.length < 4; i++) {
    const c = raw.charCodeAt(i);
    s += c >= 0x20 && c < 0x7f ? raw[i] : `\\x${(c & 0xff).toString(16).padStart(2, "0")}`;
  }
  return s === "" ? "(空)" : s;
}
