/**
 * Settlement (批结算 0500, spec §6.10 / profile) and batch upload (批上送 0320, §6.11) as a persisted state machine.
 *
 * Totals from the journal of the batch — debit: sales, completions, offline sales; credit: voids, refunds,
 * completion voids; only transactions the host approved (a voided sale still counts as a debit, its void as a
 * credit); reversed, declined, failed and pending ones excluded — split domestic / foreign by the card's BIN.
 *
 * Before anything starts: the pending reversal, the pending advices (refunds) and every offline sale not yet
 * uploaded (store-and-forward) go out; if one cannot, nothing starts (E_REVERSAL_PENDING / E_ADVICE_PENDING /
 * E_OFFLINE_PENDING). Then each step is committed to the store (key KEY_SETTLEMENT) before the next message:
 *
 *   started (batch, totals and the 0500's STAN frozen)            -> 0500 sent (the same STAN and 48 after a reboot)
 *   result (the host's result digits, 1 = balanced)               -> closing when balanced, else uploading 0/N
 *   uploading n/N (one commit per detail answered)                -> the n-th detail (again) after a reboot
 *   upload-end (its STAN frozen)                                  -> the end 0320 (60.3 = batchUploadEndCode)
 *   resettle (the second 0500's STAN frozen)                      -> the 0500 again, answered with the reconciled result
 *   closing (the report stored with it: the host has confirmed)   -> journal of the batch deleted in chunks, then ONE
 *                                                                    commit: next batch number, the state record gone.
 *
 * The journal is deleted only in `closing`, i.e. after the host answered 00 to the settlement (and, when there
 * was one, to the upload end and the second settlement). A power cut anywhere resumes at the stored step: the
 * host sees the same 0500 again (it answers a settled batch again), the same details again (kept by trace) and
 * the same end again, so nothing is counted twice; nothing is lost because nothing is deleted before closing.
 * While a settlement is in progress the terminal takes no new transaction (E_SETTLEMENT_PENDING): `settle()`
 * resumes it.
 */
import { chipUploadData } from "./chip"; // chip records: field 23 + the final field 55 in the batch upload
import { CoreError } from "../core/errors";
import type { StoreChange } from "../store/flash-log";
import {
  buildBatchUploadDetail,
  buildBatchUploadEnd,
  buildSettlement,
  formatSettlementTotals,
  parseSettlementTotals,
  entryModeCode,
  TXN,
  type CupResponse,
  type SettlementTotals,
  type TxnKind,
} from "../cup/messages";
import { nextOf } from "../terminal/counters";
import { KEY_SETTLEMENT, KEY_SETTLEMENT_REPORT } from "../terminal/storage";
import { FLAG_PIN, type JournalRecord } from "./journal";
import { isDomesticPan, TxnError, type TxnContext } from "./flows";
import { RecordReader, RecordWriter } from "./record-codec";

const DEBIT: readonly TxnKind[] = ["sale", "completion", "offlineSale"];
const CREDIT: readonly TxnKind[] = ["void", "refund", "completionVoid"];

export type SettlementPhase = "started" | "result" | "uploading" | "upload-end" | "resettle" | "closing";
const PHASES: readonly SettlementPhase[] = ["started", "result", "uploading", "upload-end", "resettle", "closing"];

/** The settlement in progress, as stored. */
export interface SettlementState {
  phase: SettlementPhase;
  batch: number;
  /** Field 48 of the 0500 (the terminal's totals, result digits 0). */
  totals48: string;
  operator: string;
  startedAt: number;
  /** STAN of the first 0500, of the upload end, of the second 0500 (0 until taken). */
  stan: number;
  endStan: number;
  resettleStan: number;
  /** Field 48 of the first 0510 ("" when none came). */
  host48: string;
  /** Result digits of the first 0510, of the upload end's 0330, of the second 0510 (0 = not yet). */
  result: [number, number];
  uploadResult: [number, number];
  finalResult: [number, number];
  uploadTotal: number;
  uploadNext: number;
}

/** What the settlement report (结算单) shows; stored for reprinting. */
export interface SettlementReport {
  batch: number;
  terminalId: string;
  merchantId: string;
  merchantName: string;
  operator: string;
  /** Terminal RTC when the host confirmed. */
  at: number;
  terminalTotals: SettlementTotals;
  /** The host's result digits of the first settlement; the final ones (after the upload, else the same). */
  result: [number, number];
  finalResult: [number, number];
  uploaded: number;
}

export interface SettlementOutcome {
  batch: number;
  newBatch: number;
  terminalTotals: SettlementTotals;
  hostTotals?: SettlementTotals;
  /** Host's result digits (domestic, foreign) of the first 0500. */
  result: [number, number];
  balanced: boolean;
  uploaded: number;
  /** The host's result digits after the batch upload (its answer to the upload end), when there was one. */
  uploadResult?: [number, number];
  /** The result digits of the second 0500 after an upload (else the first). */
  finalResult: [number, number];
  code: string;
  /** The step a power cut (or an error) had left the settlement at, when this call resumed it. */
  resumedFrom?: SettlementPhase;
  report: SettlementReport;
}

function counted(r: JournalRecord): boolean {
  return r.state === "approved" || r.state === "voided" || r.state === "uploaded";
}

function settles(r: JournalRecord): boolean {
  return counted(r) && (DEBIT.indexOf(r.kind) >= 0 || CREDIT.indexOf(r.kind) >= 0);
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

const STATE_VERSION = 1;
const REPORT_VERSION = 1;

export function encodeSettlementState(s: SettlementState): Uint8Array {
  const w = new RecordWriter(200);
  w.u8(STATE_VERSION).u8(PHASES.indexOf(s.phase)).u24(s.batch).str(s.totals48).str(s.operator).u48(Math.max(0, Math.floor(s.startedAt)));
  w.u24(s.stan).u24(s.endStan).u24(s.resettleStan).str(s.host48);
  w.u8(s.result[0]).u8(s.result[1]).u8(s.uploadResult[0]).u8(s.uploadResult[1]).u8(s.finalResult[0]).u8(s.finalResult[1]);
  w.u16(s.uploadTotal).u16(s.uploadNext);
  return w.finish();
}

export function decodeSettlementState(b: Uint8Array): SettlementState {
  try {
    const r = new RecordReader(b);
    if (r.u8() !== STATE_VERSION) throw new CoreError("E_SETTLEMENT_RECORD", "settlement record of another version");
    const phase = PHASES[r.u8()];
    if (!phase) throw new CoreError("E_SETTLEMENT_RECORD", "unknown settlement step");
    const s: SettlementState = {
      phase,
      batch: r.u24(),
      totals48: r.str(),
      operator: r.str(),
      startedAt: r.u48(),
      stan: r.u24(),
      endStan: r.u24(),
      resettleStan: r.u24(),
      host48: r.str(),
      result: [r.u8(), r.u8()],
      uploadResult: [r.u8(), r.u8()],
      finalResult: [r.u8(), r.u8()],
      uploadTotal: 0,
      uploadNext: 0,
    };
    s.uploadTotal = r.u16();
    s.uploadNext = r.u16();
    return s;
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_SETTLEMENT_RECORD") throw e;
    throw new CoreError("E_SETTLEMENT_RECORD", `stored settlement does not decode: ${(e as Error).message}`);
  }
}

export function encodeReport(p: SettlementReport): Uint8Array {
  const w = new RecordWriter(200);
  w.u8(REPORT_VERSION).u24(p.batch).str(p.terminalId).str(p.merchantId).str(p.merchantName).str(p.operator).u48(Math.max(0, Math.floor(p.at)));
  w.str(formatSettlementTotals(p.terminalTotals)).u8(p.result[0]).u8(p.result[1]).u8(p.finalResult[0]).u8(p.finalResult[1]).u16(p.uploaded);
  return w.finish();
}

export function decodeReport(b: Uint8Array): SettlementReport {
  try {
    const r = new RecordReader(b);
    if (r.u8() !== REPORT_VERSION) throw new CoreError("E_SETTLEMENT_RECORD", "settlement report of another version");
    return {
      batch: r.u24(),
      terminalId: r.str(),
      merchantId: r.str(),
      merchantName: r.str(),
      operator: r.str(),
      at: r.u48(),
      terminalTotals: parseSettlementTotals(r.str()),
      result: [r.u8(), r.u8()],
      finalResult: [r.u8(), r.u8()],
      uploaded: r.u16(),
    };
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_SETTLEMENT_RECORD") throw e;
    throw new CoreError("E_SETTLEMENT_RECORD", `stored settlement report does not decode: ${(e as Error).message}`);
  }
}

/** The settlement in progress, if any. */
export function settlementInProgress(ctx: TxnContext): SettlementState | undefined {
  const b = ctx.store.get(KEY_SETTLEMENT);
  return b ? decodeSettlementState(b) : undefined;
}

/** The last settlement's report, if any. */
export function lastSettlementReport(ctx: TxnContext): SettlementReport | undefined {
  const b = ctx.store.get(KEY_SETTLEMENT_REPORT);
  return b ? decodeReport(b) : undefined;
}

function balancedDigits(r: [number, number]): boolean {
  return (r[0] === 1 || r[0] === 0) && (r[1] === 1 || r[1] === 0);
}

/** Counted records of the batch in journal order: the upload list (the journal does not change during settlement). */
function uploadList(ctx: TxnContext, batch: number): JournalRecord[] {
  return ctx.journal.list().filter((r) => r.batch === batch && settles(r));
}

/** Journal deletes per commit while closing (a commit must fit one flash sector). */
const CLEAR_CHUNK = 400;

export interface SettleHooks {
  flushReversal(): Promise<boolean>;
  flushAdvices(): Promise<boolean>;
  /** Uploads the offline sales not yet sent; true when none is left. */
  uploadOffline(): Promise<boolean>;
}

/**
 * Starts the settlement of the open batch, or resumes the one in progress; returns when the batch is closed.
 * Throws (leaving the stored step for the next call) when the host declines a step or cannot be reached.
 */
export async function settle(ctx: TxnContext, hooks: SettleHooks): Promise<SettlementOutcome> {
  const params = ctx.params();
  if (!params.activated) throw new TxnError("E_NOT_ACTIVATED", "终端未激活 / the terminal is not activated");
  let st = settlementInProgress(ctx);
  const resumedFrom = st ? st.phase : undefined;
  if (st && st.phase !== "closing" && !ctx.keys.signedIn) throw new TxnError("E_NOT_SIGNED_IN", "请先签到 / sign in first (the settlement resumes after it)");
  if (!st) {
    if (!ctx.keys.signedIn) throw new TxnError("E_NOT_SIGNED_IN", "请先签到 / sign in first");
    if (!(await hooks.flushReversal())) throw new TxnError("E_REVERSAL_PENDING", "冲正未完成，不能结算 / a reversal is still pending: no settlement before it", undefined, "pending");
    if (!(await hooks.flushAdvices())) throw new TxnError("E_ADVICE_PENDING", "有未上送的交易，不能结算 / advices still wait for an answer: no settlement before them");
    if (!(await hooks.uploadOffline())) throw new TxnError("E_OFFLINE_PENDING", "离线交易未上送，不能结算 / offline sales are not uploaded yet: no settlement before them");
    const batch = ctx.counters.batch;
    const totals = batchTotals(ctx.journal.list().filter((r) => r.batch === batch));
    const stan = ctx.counters.peek();
    st = {
      phase: "started",
      batch,
      totals48: formatSettlementTotals(totals),
      operator: ctx.operators.current ? ctx.operators.current.no : "00",
      startedAt: ctx.now(),
      stan,
      endStan: 0,
      resettleStan: 0,
      host48: "",
      result: [0, 0],
      uploadResult: [0, 0],
      finalResult: [0, 0],
      uploadTotal: 0,
      uploadNext: 0,
    };
    ctx.store.commit([ctx.counters.consumeChange(stan), { key: KEY_SETTLEMENT, value: encodeSettlementState(st) }]);
    ctx.counters.consumed(stan);
    step(ctx, st);
  } else {
    ctx.log.info(`settlement of batch ${st.batch} resumes at ${st.phase}`);
  }
  const s = st;
  const totals = parseSettlementTotals(s.totals48);
  const id = { terminalId: params.terminalId, merchantId: params.merchantId };
  let code = "00";
  const save = (extra: StoreChange[] = []) => {
    ctx.store.commit([...extra, { key: KEY_SETTLEMENT, value: encodeSettlementState(s) }]);
    step(ctx, s);
  };
  const send = async (req: Parameters<typeof ctx.exchange.exchange>[0], what: string): Promise<CupResponse> => {
    const resp = await ctx.exchange.exchange(req, ctx.settings(), ctx.keys.macFunction());
    if (resp.code !== "00") {
      if (resp.code === "A0" || resp.code === "22" || resp.code === "99") ctx.keys.invalidate();
      throw new TxnError("E_SETTLEMENT_DECLINED", `${what}被拒（应答码 ${resp.code}），结算未完成，请稍后重试 / ${what === "结算" ? "settlement" : "batch upload"} declined with ${resp.code}: the settlement resumes at the next try`);
    }
    return resp;
  };

  for (;;) {
    if (s.phase === "started") {
      const resp = await send(buildSettlement({ ...id, stan: s.stan, batch: s.batch }, totals, s.operator), "结算");
      code = resp.code;
      s.result = [1, 1];
      if (resp.field48 && resp.field48.length >= 62) {
        const h = parseSettlementTotals(resp.field48);
        s.host48 = resp.field48.substring(0, 62);
        s.result = [h.domestic.result, h.foreign.result];
      }
      if (balancedDigits(s.result)) {
        s.finalResult = s.result;
        s.phase = "closing";
        save([reportChange(ctx, s, totals)]);
      } else {
        s.phase = "uploading";
        s.uploadTotal = uploadList(ctx, s.batch).length;
        s.uploadNext = 0;
        save();
      }
    } else if (s.phase === "uploading") {
      const list = uploadList(ctx, s.batch);
      const mac = ctx.keys.macFunction();
      for (let i = s.uploadNext; i < list.length; i++) {
        const r = list[i]!;
        // The journal keeps the PAN sealed (txn/pan-vault.ts): opened for this message only. A PAN sealed under a
        // storage key the PED no longer holds cannot be uploaded: that detail is skipped (logged), the rest go.
        let pan: string;
        try {
          pan = ctx.journal.revealPan(r);
        } catch (e) {
          ctx.log.warn(`batch upload of STAN ${r.stan}: ${(e as { code?: string }).code ?? "E_PAN_KEY_CHANGED"}, card number unreadable: detail skipped`);
          s.uploadNext = i + 1;
          save();
          continue;
        }
        const detail = buildBatchUploadDetail(
          { ...id, batch: s.batch },
          { pan, processingCode: TXN[r.kind].processingCode, amount: r.amount, trace: r.stan, entryMode: entryModeCode(r.entryMode, (r.flags & FLAG_PIN) !== 0), rrn: r.rrn || undefined, authCode: r.authCode || undefined, ...chipUploadData(ctx, r) /* chip: 23 + final 55 (txn/chip.ts) */ },
        );
        const a = await ctx.exchange.exchange(detail, ctx.settings(), mac);
        if (a.code === "A0" || a.code === "22" || a.code === "77") throw new TxnError("E_SETTLEMENT_DECLINED", `批上送被拒（应答码 ${a.code}）/ batch upload detail declined with ${a.code}: the settlement resumes at the next try`);
        if (a.code !== "00") ctx.log.warn(`batch upload of STAN ${r.stan} answered ${a.code}`);
        s.uploadNext = i + 1;
        save();
      }
      s.uploadTotal = list.length;
      const endStan = ctx.counters.peek();
      s.endStan = endStan;
      s.phase = "upload-end";
      save([ctx.counters.consumeChange(endStan)]);
      ctx.counters.consumed(endStan);
    } else if (s.phase === "upload-end") {
      const end = await send(buildBatchUploadEnd({ ...id, stan: s.endStan, batch: s.batch }, s.uploadTotal, params.batchUploadEndCode), "批上送结束");
      s.uploadResult = [1, 1];
      if (end.field48 && end.field48.length >= 62) {
        const t = parseSettlementTotals(end.field48);
        s.uploadResult = [t.domestic.result, t.foreign.result];
      }
      const rs = ctx.counters.peek();
      s.resettleStan = rs;
      s.phase = "resettle";
      save([ctx.counters.consumeChange(rs)]);
      ctx.counters.consumed(rs);
    } else if (s.phase === "resettle") {
      const resp = await send(buildSettlement({ ...id, stan: s.resettleStan, batch: s.batch }, totals, s.operator), "结算");
      code = resp.code;
      s.finalResult = s.uploadResult;
      if (resp.field48 && resp.field48.length >= 62) {
        const h = parseSettlementTotals(resp.field48);
        s.finalResult = [h.domestic.result, h.foreign.result];
      }
      s.phase = "closing";
      save([reportChange(ctx, s, totals)]);
    } else {
      // closing: the host confirmed; now (and only now) the batch's journal goes.
      for (;;) {
        const changes = ctx.journal.clearChanges(s.batch);
        if (changes.length <= CLEAR_CHUNK) break;
        const chunk = changes.slice(0, CLEAR_CHUNK);
        ctx.store.commit(chunk);
        for (const c of chunk) ctx.journal.forget(c.key);
      }
      const last = ctx.journal.clearChanges(s.batch);
      const newBatch = ctx.counters.batch === s.batch ? nextOf(s.batch) : ctx.counters.batch;
      ctx.store.commit([...last, ctx.counters.batchChange(newBatch), { key: KEY_SETTLEMENT, value: undefined }]);
      ctx.journal.cleared(s.batch);
      ctx.counters.batchSet(newBatch);
      ctx.emit({ kind: "settlement", detail: `closed batch=${s.batch} next=${newBatch}` });
      const report = lastSettlementReport(ctx)!;
      return {
        batch: s.batch,
        newBatch,
        terminalTotals: totals,
        hostTotals: s.host48 ? parseSettlementTotals(s.host48) : undefined,
        result: s.result,
        balanced: balancedDigits(s.result),
        uploaded: s.uploadTotal,
        uploadResult: s.endStan ? s.uploadResult : undefined,
        finalResult: s.finalResult,
        code,
        resumedFrom,
        report,
      };
    }
  }
}

function reportChange(ctx: TxnContext, s: SettlementState, totals: SettlementTotals): StoreChange {
  const p = ctx.params();
  const report: SettlementReport = {
    batch: s.batch,
    terminalId: p.terminalId,
    merchantId: p.merchantId,
    merchantName: p.merchantName,
    operator: s.operator,
    at: ctx.now(),
    terminalTotals: totals,
    result: s.result,
    finalResult: s.finalResult,
    uploaded: s.uploadTotal,
  };
  return { key: KEY_SETTLEMENT_REPORT, value: encodeReport(report) };
}

/** Tells observers (and the test agent) each committed step. */
function step(ctx: TxnContext, s: SettlementState): void {
  const detail = s.phase === "uploading" ? `uploading ${s.uploadNext}/${s.uploadTotal}` : s.phase;
  ctx.emit({ kind: "settlement", detail: `${detail} batch=${s.batch}` });
}
