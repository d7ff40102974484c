/**
 * Cardholder verification (EMV 4.x Book 3 §10.5, Annex C3): the CVM list (8E: amounts X and Y, then
 * 2-byte rules: method | b7 "apply the next rule if this one fails", condition code) processed in order
 * with the conditions of Annex C3; methods: offline plaintext PIN (VERIFY with the PED's format-2 block,
 * after GET DATA 9F17), online enciphered PIN (the PED's callback), signature, no CVM required, fail CVM.
 * Results: CVM Results 9F34 (method, condition, 00 unknown / 01 failed / 02 successful), the TVR byte 3
 * bits and TSI "cardholder verification performed".
 */
import { commands } from "../../hal/card/index";
import type { EmvContext } from "./context";

const RESULT_UNKNOWN = 0x00;
const RESULT_FAILED = 0x01;
const RESULT_OK = 0x02;

/** Terminal capabilities byte 2 (CVM): which methods the terminal offers. */
function supports(ctx: EmvContext, method: number): boolean {
  const cap = ctx.data.get(0x9f33)?.[1] ?? 0;
  switch (method) {
    case 0x01:
      return (cap & 0x80) !== 0 && !!ctx.cb.offlinePin;
    case 0x02:
      return (cap & 0x40) !== 0 && !!ctx.cb.onlinePin;
    case 0x03:
      return (cap & 0x80) !== 0 && (cap & 0x20) !== 0 && !!ctx.cb.offlinePin;
    case 0x04:
    case 0x05:
      return false; // enciphered offline PIN: not offered by this terminal
    case 0x1e:
      return (cap & 0x20) !== 0;
    case 0x1f:
      return (cap & 0x08) !== 0;
    default:
      return false;
  }
}

function amountInfo(ctx: EmvContext, x: number): { sameCurrency: boolean; under: boolean; over: boolean } {
  const appCur = ctx.data.digits(0x9f42);
  const sameCurrency = appCur !== "" && appCur === ctx.data.digits(0x5f2a);
  return { sameCurrency, under: ctx.tx.amount < x, over: ctx.tx.amount > x };
}

/** Condition codes of Annex C3 (unattended: terminal type x4..x6). */
function conditionMet(ctx: EmvContext, code: number, method: number, x: number, y: number): boolean {
  const type = ctx.tx.type;
  const unattended = (ctx.config.terminalType & 0x0f) >= 4;
  const cash = type === 0x01 || type === 0x17;
  switch (code) {
    case 0x00:
      return true;
    case 0x01:
      return cash && unattended;
    case 0x02:
      return !cash && type !== 0x09;
    case 0x03:
      return supports(ctx, method & 0x3f);
    case 0x04:
      return cash && !unattended;
    case 0x05:
      return type === 0x09;
    case 0x06:
    case 0x07: {
      const a = amountInfo(ctx, x);
      return a.sameCurrency && (code === 0x06 ? a.under : a.over);
    }
    case 0x08:
    case 0x09: {
      const a = amountInfo(ctx, y);
      return a.sameCurrency && (code === 0x08 ? a.under : a.over);
    }
    default:
      return false;
  }
}

async function offlinePlaintextPin(ctx: EmvContext): Promise<boolean> {
  if (!supports(ctx, 0x01)) {
    ctx.data.setTvr("pinPadMissing");
    return false;
  }
  const g = await ctx.transmit(commands.getData(0x9f17));
  let tries = -1;
  if (g.sw === 0x9000 && g.data.length === 4 && g.data[0] === 0x9f && g.data[1] === 0x17) tries = g.data[3]!;
  if (tries === 0) {
    ctx.data.setTvr("pinTryLimitExceeded");
    return false;
  }
  for (;;) {
    const pin = await ctx.cb.offlinePin!(tries);
    if (pin.status === "bypass") {
      ctx.data.setTvr("pinNotEntered");
      return false;
    }
    if (pin.status !== "ok") {
      ctx.data.setTvr("pinPadMissing");
      return false;
    }
    const r = await ctx.transmit(commands.verifyPlaintextPin(pin.block));
    pin.block.fill(0);
    if (r.sw === 0x9000) return true;
    if ((r.sw & 0xfff0) === 0x63c0 && (r.sw & 0x0f) > 0) {
      tries = r.sw & 0x0f;
      continue;
    }
    if (r.sw === 0x63c0 || r.sw === 0x6983 || r.sw === 0x6984) ctx.data.setTvr("pinTryLimitExceeded");
    return false;
  }
}

/** Performs one method: RESULT_* or -1 when it failed. */
async function perform(ctx: EmvContext, method: number): Promise<number> {
  switch (method) {
    case 0x00:
      return -1;
    case 0x01:
      return (await offlinePlaintextPin(ctx)) ? RESULT_OK : -1;
    case 0x02: {
      if (!supports(ctx, 0x02)) {
        ctx.data.setTvr("pinPadMissing");
        return -1;
      }
      const r = await ctx.cb.onlinePin!(ctx.pan());
      if (r.status === "ok") {
        ctx.pinBlock = r.pinBlock;
        ctx.data.setTvr("onlinePinEntered");
        return RESULT_UNKNOWN;
      }
      ctx.data.setTvr(r.status === "bypass" ? "pinNotEntered" : "pinPadMissing");
      return -1;
    }
    case 0x03:
      if (!supports(ctx, 0x03)) return -1;
      if (!(await offlinePlaintextPin(ctx))) return -1;
      ctx.signatureRequired = true;
      return RESULT_UNKNOWN;
    case 0x1e:
      if (!supports(ctx, 0x1e)) return -1;
      ctx.signatureRequired = true;
      return RESULT_UNKNOWN;
    case 0x1f:
      return supports(ctx, 0x1f) ? RESULT_OK : -1;
    case 0x04:
    case 0x05:
      return -1;
    default:
      ctx.data.setTvr("unrecognisedCvm");
      return -1;
  }
}

export async function cardholderVerification(ctx: EmvContext): Promise<void> {
  const d = ctx.data;
  const aip = d.get(0x82);
  if (!aip || (aip[0]! & 0x10) === 0) {
    d.set(0x9f34, Uint8Array.of(0x3f, 0x00, 0x00));
    return;
  }
  const list = d.get(0x8e);
  if (!list || list.length < 10 || (list.length - 8) % 2 !== 0) {
    // No (usable) CVM list: no CVM performed, and the ICC lacks data it announced.
    d.setTvr("iccDataMissing");
    d.set(0x9f34, Uint8Array.of(0x3f, 0x00, 0x00));
    return;
  }
  const x = ((list[0]! << 24) >>> 0) + (list[1]! << 16) + (list[2]! << 8) + list[3]!;
  const y = ((list[4]! << 24) >>> 0) + (list[5]! << 16) + (list[6]! << 8) + list[7]!;
  d.setTsi("cvmPerformed");
  let last: [number, number] | undefined;
  for (let p = 8; p + 2 <= list.length; p += 2) {
    const rule = list[p]!;
    const cond = list[p + 1]!;
    const method = rule & 0x3f;
    if (!conditionMet(ctx, cond, rule, x, y)) continue;
    last = [rule, cond];
    const result = await perform(ctx, method);
    if (result >= 0) {
      d.set(0x9f34, Uint8Array.of(rule, cond, result));
      return;
    }
    if ((rule & 0x40) === 0) break;
  }
  d.setTvr("cvmFailed");
  d.set(0x9f34, last ? Uint8Array.of(last[0], last[1], RESULT_FAILED) : Uint8Array.of(0x3f, 0x00, RESULT_FAILED));
}
