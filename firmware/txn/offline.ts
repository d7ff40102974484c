/**
 * Offline sales (离线消费) with store-and-forward.
 *
 * A sale is approved at the terminal, without the host, when its amount is within the offlineFloorLimit parameter
 * or when the chip card approved it offline (the EMV kernel's TC; field 55 goes with the advice). ONE commit holds
 * the STAN consumed, the journal record ("approved", FLAG_ADVICE = not uploaded yet) and the 0220 advice (60.1 =
 * 30) exactly as it will be sent; then the slips print. Nothing goes on the line.
 *
 * Upload: when the link is back (after an online transaction, at recover()) and always before settlement, each
 * stored advice is sent byte for byte (same STAN; MAC under the current MAK) until answered. The answer and the
 * deletion of the stored advice are ONE commit, so after a power cut between sending and that commit the same
 * advice goes again and the host, seeing the same request, answers it again without a second ledger entry: an
 * offline sale reaches the host once. A host decline marks the record declined (it then leaves the totals, as on
 * the host); answers that need a new sign-in (22, 77, 99, A0) leave the advice stored for the next try.
 */
import type { StoreChange } from "../store/flash-log";
import { buildFinancial, type CardData, type CupResponse } from "../cup/messages";
import { KEY_ADVICE_BASE } from "../terminal/storage";
import { FLAG_ADVICE, type JournalRecord } from "./journal";
import { adviceLost, decodeAdvice, encodeAdvice, expiryOfTrack, NEXT_STEP, TxnError, type TxnContext, type TxnOutcome } from "./flows";

/** The code an offline approval shows (EMV's "Y1": approved offline). */
export const OFFLINE_APPROVED = "Y1";

export interface OfflineSaleInput {
  card: CardData;
  /** Fen. */
  amount: number;
  /** The chip card approved offline (TC): no floor-limit check. */
  chipApproved?: boolean;
}

/** Offline sales not yet uploaded, oldest first. */
export function offlinePending(ctx: TxnContext): number[] {
  const out: number[] = [];
  for (const slot of ctx.journal.slotsWhere("approved", "offlineSale")) {
    const r = ctx.journal.get(slot);
    if (r && r.flags & FLAG_ADVICE) out.push(slot);
  }
  return out;
}

/** Approves a sale offline and stores its advice (see the file comment). */
export async function offlineSale(ctx: TxnContext, input: OfflineSaleInput): Promise<TxnOutcome> {
  const p = ctx.params();
  if (!p.activated) throw new TxnError("E_NOT_ACTIVATED", "终端未激活 / the terminal is not activated");
  if (!ctx.operators.current) throw new TxnError("E_OPERATOR_REQUIRED", "请操作员签到 / an operator must sign in before an offline sale");
  const amount = input.amount;
  if (!(typeof amount === "number" && amount >= 1 && amount === Math.floor(amount))) throw new TxnError("E_OFFLINE_AMOUNT", `金额无效 / amount must be a positive number of fen, got ${String(amount)}`);
  const card = input.card;
  if (input.chipApproved) {
    if (card.entryMode !== "chip" && card.entryMode !== "contactless") throw new TxnError("E_OFFLINE_NOT_ALLOWED", "只有芯片卡可脱机批准 / only a chip card approves offline");
  } else if (!(p.offlineFloorLimit > 0 && amount <= p.offlineFloorLimit)) {
    throw new TxnError("E_OFFLINE_LIMIT", `金额超过离线限额${p.offlineFloorLimit}分，请联机交易 / ${amount} fen is above the offline floor limit ${p.offlineFloorLimit}: go online`);
  }
  const stan = ctx.counters.peek();
  const batch = ctx.counters.batch;
  const operator = ctx.operators.current.no;
  const req = buildFinancial({ terminalId: p.terminalId, merchantId: p.merchantId, stan, batch }, { kind: "offlineSale", amount, card, operator });
  const rec = ctx.journal.create("offlineSale");
  rec.stan = stan;
  rec.batch = batch;
  rec.amount = amount;
  rec.pan = card.pan;
  rec.expiry = card.expiry ?? (card.track2 ? expiryOfTrack(card.track2) : "");
  rec.entryMode = card.entryMode;
  rec.operator = operator;
  rec.localTime = ctx.now();
  rec.state = "approved";
  rec.responseCode = OFFLINE_APPROVED;
  rec.flags |= FLAG_ADVICE;
  ctx.store.commit([ctx.counters.consumeChange(stan), ...ctx.journal.change(rec), { key: KEY_ADVICE_BASE + rec.slot, value: encodeAdvice(req, ctx.journal.vault) }]);
  ctx.counters.consumed(stan);
  ctx.journal.applied(rec);
  ctx.emit({ kind: "offline", stan: String(stan), detail: `approved amount=${amount}` });
  const out: TxnOutcome = {
    status: "approved",
    kind: "offlineSale",
    code: OFFLINE_APPROVED,
    text: "离线批准",
    en: "Approved offline",
    action: "approve",
    next: NEXT_STEP.approve,
    known: true,
    record: rec,
    reversal: "none",
  };
  if (ctx.print) {
    try {
      await ctx.print(rec);
      out.printed = true;
    } catch (e) {
      out.printed = false;
      out.printError = (e as { code?: string }).code ?? "E_UNKNOWN";
    }
  }
  return out;
}

export interface OfflineUpload {
  sent: number;
  declined: number;
  /** Offline sales still not uploaded. */
  left: number;
}

const SIGN_IN_CODES = ["22", "77", "99", "A0"];

/** Uploads the stored offline advices, oldest first, until one cannot go (no link, no keys). */
export async function uploadOffline(ctx: TxnContext): Promise<OfflineUpload> {
  const out: OfflineUpload = { sent: 0, declined: 0, left: 0 };
  const slots = offlinePending(ctx);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    const rec = ctx.journal.get(slot)!;
    const body = ctx.store.get(KEY_ADVICE_BASE + slot);
    if (!body) {
      adviceLost(ctx, rec);
      continue;
    }
    const mac = ctx.keys.macFunction();
    if (!mac) {
      out.left = slots.length - i;
      return out;
    }
    const req = decodeAdvice(body, ctx.journal.vault);
    ctx.emit({ kind: "offline", stan: req.stan, mti: req.mti, detail: "upload" });
    let resp: CupResponse;
    try {
      resp = await ctx.exchange.exchange(req, ctx.settings(), mac);
    } catch (e) {
      ctx.log.warn(`offline advice STAN ${req.stan}: ${(e as { code?: string }).code ?? "E_UNKNOWN"}`);
      out.left = slots.length - i;
      return out;
    }
    if (SIGN_IN_CODES.indexOf(resp.code) >= 0) {
      ctx.keys.invalidate();
      ctx.log.warn(`offline advice STAN ${req.stan} answered ${resp.code}: sign in again, then it goes again`);
      out.left = slots.length - i;
      return out;
    }
    answered(ctx, rec, resp);
    if (rec.state === "declined") out.declined++;
    else out.sent++;
  }
  return out;
}

function answered(ctx: TxnContext, rec: JournalRecord, resp: CupResponse): void {
  rec.responseCode = resp.code;
  rec.rrn = resp.rrn ?? "";
  if (resp.authCode) rec.authCode = resp.authCode.trim();
  rec.hostDate = resp.date ?? "";
  rec.hostTime = resp.time ?? "";
  rec.settlementDate = resp.settlementDate ?? "";
  rec.acquirerId = resp.acquirerId ?? "";
  rec.flags &= ~FLAG_ADVICE;
  if (resp.code !== "00") {
    rec.state = "declined";
    rec.error = "E_OFFLINE_DECLINED";
    ctx.log.warn(`offline sale STAN ${rec.stan} declined by the host with ${resp.code}`);
  }
  const changes: StoreChange[] = [...ctx.journal.change(rec), { key: KEY_ADVICE_BASE + rec.slot, value: undefined }];
  ctx.store.commit(changes);
  ctx.journal.applied(rec);
  ctx.emit({ kind: "offline", stan: String(rec.stan), detail: `uploaded code=${resp.code}` });
}
