/**
 * Settlement (批结算 0500, spec §6.10 / profile) and batch upload (批上送 0320, §6.11).
 *
 * Totals from the journal of the open batch — debit: sales, completions, offline sales; credit: voids, refunds,
 * completion voids; only transactions the host approved (a voided sale still counts as a debit, its void as a
 * credit); reversed, declined, failed and pending ones excluded — split domestic / foreign by the card's BIN.
 * The host answers with its result digits: 1 balanced -> the batch is closed; 2 not balanced -> every counted
 * transaction is uploaded (0320 details, then the end message with the count), then the batch is closed. Closing
 * = one commit that deletes the batch's journal records and moves to the next batch number.
 */
import { CoreError } from "../core/errors";
import { buildBatchUploadDetail, buildBatchUploadEnd, buildSettlement, parseSettlementTotals, entryModeCode, TXN, type SettlementTotals, type TxnKind } from "../cup/messages";
import { nextOf } from "../terminal/counters";
import { FLAG_PIN, type JournalRecord } from "./journal";
import { isDomesticPan, TxnError, type TxnContext } from "./flows";

const DEBIT: readonly TxnKind[] = ["sale", "completion", "offlineSale"];
const CREDIT: readonly TxnKind[] = ["void", "refund", "completionVoid"];

export interface SettlementOutcome {
  batch: number;
  newBatch: number;
  terminalTotals: SettlementTotals;
  hostTotals?: SettlementTotals;
  /** Host's result digits (domestic, foreign). */
  result: [number, number];
  balanced: boolean;
  uploaded: number;
  /** The host's result digits after the batch upload (its answer to the upload end), when there was one. */
  uploadResult?: [number, number];
  code: string;
}

function counted(r: JournalRecord): boolean {
  return r.state === "approved" || r.state === "voided" || r.state === "uploaded";
}

/** Field 48 totals of `records` (of one batch). */
export function batchTotals(records: readonly JournalRecord[]): SettlementTotals {
  const z = () => ({ debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0, result: 0 });
  const t: SettlementTotals = { domestic: z(), foreign: z() };
  for (const r of records) {
    if (!counted(r)) continue;
    const part = isDomesticPan(r.pan) ? t.domestic : t.foreign;
    if (DEBIT.indexOf(r.kind) >= 0) {
      part.debitAmount += r.amount;
      part.debitCount++;
    } else if (CREDIT.indexOf(r.kind) >= 0) {
      part.creditAmount += r.amount;
      part.creditCount++;
    }
  }
  return t;
}

export async function settle(ctx: TxnContext, flush: () => Promise<boolean>, flushAdvices: () => Promise<boolean>): Promise<SettlementOutcome> {
  const params = ctx.params();
  if (!params.activated) throw new TxnError("E_NOT_ACTIVATED", "终端未激活 / the terminal is not activated");
  if (!ctx.keys.signedIn) throw new TxnError("E_NOT_SIGNED_IN", "请先签到 / sign in first");
  if (!(await flush())) throw new TxnError("E_REVERSAL_PENDING", "冲正未完成，不能结算 / a reversal is still pending: no settlement before it", undefined, "pending");
  if (!(await flushAdvices())) throw new TxnError("E_ADVICE_PENDING", "有未上送的交易，不能结算 / advices still wait for an answer: no settlement before them");
  const batch = ctx.counters.batch;
  const records = ctx.journal.list().filter((r) => r.batch === batch);
  const totals = batchTotals(records);
  const mac = ctx.keys.macFunction();
  const id = { terminalId: params.terminalId, merchantId: params.merchantId };
  const operator = ctx.operators.current ? ctx.operators.current.no : "00";
  const stan = ctx.counters.take();
  const resp = await ctx.exchange.exchange(buildSettlement({ ...id, stan, batch }, totals, operator), ctx.settings(), mac);
  if (resp.code !== "00") throw new TxnError("E_SETTLEMENT_DECLINED", `结算被拒（应答码 ${resp.code}）/ settlement declined with ${resp.code}`);
  let hostTotals: SettlementTotals | undefined;
  let result: [number, number] = [1, 1];
  if (resp.field48) {
    hostTotals = parseSettlementTotals(resp.field48);
    result = [hostTotals.domestic.result, hostTotals.foreign.result];
  }
  const balanced = (result[0] === 1 || result[0] === 0) && (result[1] === 1 || result[1] === 0);
  let uploaded = 0;
  let uploadResult: [number, number] | undefined;
  if (!balanced) {
    for (const r of records) {
      if (!counted(r) || (DEBIT.indexOf(r.kind) < 0 && CREDIT.indexOf(r.kind) < 0)) continue;
      const detail = buildBatchUploadDetail(
        { ...id, batch },
        { pan: r.pan, processingCode: TXN[r.kind].processingCode, amount: r.amount, trace: r.stan, entryMode: entryModeCode(r.entryMode, (r.flags & FLAG_PIN) !== 0), rrn: r.rrn || undefined, authCode: r.authCode || undefined },
      );
      const a = await ctx.exchange.exchange(detail, ctx.settings(), mac);
      if (a.code !== "00") ctx.log.warn(`batch upload of STAN ${r.stan} answered ${a.code}`);
      r.state = "uploaded";
      ctx.journal.save(r);
      uploaded++;
    }
    const endStan = ctx.counters.take();
    const end = await ctx.exchange.exchange(buildBatchUploadEnd({ ...id, stan: endStan, batch }, uploaded, params.batchUploadEndCode), ctx.settings(), mac);
    if (end.code !== "00") throw new CoreError("E_BATCH_UPLOAD", `批上送结束被拒（应答码 ${end.code}）/ batch upload end declined with ${end.code}`);
    if (end.field48 && end.field48.length >= 62) {
      const t = parseSettlementTotals(end.field48);
      uploadResult = [t.domestic.result, t.foreign.result];
    }
  }
  const newBatch = nextOf(batch);
  ctx.store.commit([...ctx.journal.clearChanges(batch), ctx.counters.batchChange(newBatch)]);
  ctx.journal.cleared(batch);
  ctx.counters.batchSet(newBatch);
  return { batch, newBatch, terminalTotals: totals, hostTotals, result, balanced, uploaded, uploadResult, code: resp.code };
}
