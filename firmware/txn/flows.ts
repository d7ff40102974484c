/**
 * The online transaction flows over the CUP dialect: sale, balance, void, refund, pre-auth, pre-auth cancel,
 * completion, completion void, and the re-sending of advices; the pending reversal goes out before any of them.
 *
 * One flow, for every kind (spec §6, profile "Financial messages"):
 *  1. checks (activated, signed in, operator, supervisor where needed) and the pending reversal sent first
 *     (E_REVERSAL_PENDING when it still cannot go out: no new financial message before it);
 *  2. the PIN through the PED when asked (format 0 under the PIK; digits never in the engine);
 *  3. ONE commit: the STAN consumed, the journal record "pending", and for reversible kinds the reversal record
 *     (for advices the request to re-send) — all before a byte is sent;
 *  4. the exchange; then ONE commit with the outcome: approved / declined (reversal record dropped; a void marks
 *     its sale voided, a completion or cancel closes its pre-auth), or, when the request may have reached the host
 *     without a usable answer (timeout, link failure, bad response MAC), the reversal goes out at once (reason 98 /
 *     06 / A0), retried up to the parameter's limit, kept for later otherwise;
 *  5. the response code's text and action (response-codes.ts): unknown codes show their raw value, are logged, and
 *     the flow goes on; an answer that asks for a new sign-in (22, 77, 99, A0) invalidates the keys and signs in
 *     again at once; codes listed in the reverseOnCodes parameter (98 by default) are also reversed;
 *  6. the slips printed for approvals (a printer problem does not undo an approval: reprint later).
 *
 * Results: TxnOutcome (approved / declined with text and action) or a thrown TxnError with a stable code.
 */
import { CoreError } from "../core/errors";
import type { FlashLog, StoreChange } from "../store/flash-log";
import type { PinPad } from "../../hal/ped/pinpad";
import { responseCode, type ResponseAction } from "../cup/response-codes";
import { ExchangeError, type CupExchange, type ExchangeSettings } from "../cup/exchange";
import {
  TXN,
  buildFinancial,
  decodeFields,
  encodeFields,
  parseBalance,
  type Balance,
  type CardData,
  type CupRequest,
  type CupResponse,
  type MacFunction,
  type OriginalRef,
  type TxnKind,
} from "../cup/messages";
import { FLAG_ADVICE, FLAG_CLOSED, FLAG_PIN, type Journal, type JournalRecord } from "./journal";
import { REASON_MAC, REASON_OTHER, REASON_TIMEOUT, type ReversalStore } from "./reversal";
import { RecordReader, RecordWriter } from "./record-codec";
import type { Counters } from "../terminal/counters";
import type { TerminalParams } from "../terminal/params";
import type { WorkingKeys } from "../terminal/signin";
import type { Operators } from "../terminal/operator";
import { KEY_ADVICE_BASE } from "../terminal/storage";
import type { PanVault } from "./pan-vault";

export type ReversalStatus = "none" | "sent" | "pending";

export class TxnError extends CoreError {
  constructor(
    code: string,
    message: string,
    /** The journal record as it stands (when the transaction got that far). */
    readonly record?: JournalRecord,
    /** What happened to the reversal of this transaction. */
    readonly reversal: ReversalStatus = "none",
  ) {
    super(code, message);
    this.name = "TxnError";
  }
}

export interface TxnOutcome {
  status: "approved" | "declined";
  kind: TxnKind;
  /** Field 39 as received. */
  code: string;
  /** Text for the merchant (Chinese) and in English; unknown codes show the raw value. */
  text: string;
  en: string;
  action: ResponseAction;
  /** What the operator does next (from the action; for an unknown code: note it and call the acquirer). */
  next: string;
  known: boolean;
  record: JournalRecord;
  /** A declined reversible transaction whose code is in reverseOnCodes was reversed. */
  reversal: ReversalStatus;
  /** The answer asked for a new sign-in and the terminal did it (true) or tried and failed (false). */
  resignedIn?: boolean;
  resignInError?: string;
  balance?: Balance;
  /** Chip and contactless transactions (txn/chip.ts): what the card and the kernel said. */
  emv?: ChipSummary;
  printed?: boolean;
  printError?: string;
}

/** The EMV side of a chip/contactless outcome (hex strings, for the UI, the slip and a test agent). */
export interface ChipSummary {
  interface: "contact" | "contactless";
  aid: string;
  label: string;
  /** TC / AAC / ARQC (the card's last cryptogram). */
  cryptogram: string;
  /** Why: "issuer", "card", "offline", "terminal-denial", "unable-to-go-online" ... (the kernel's reason). */
  reason: string;
  online: boolean;
  tvr: string;
  tsi: string;
  signatureRequired: boolean;
  /** Issuer script results (DF31), 5 bytes per script, hex; "" when none ran. */
  scriptResults: string;
  /** The host approved and the card declined at the second GENERATE AC: the authorisation was reversed. */
  declinedByCard?: boolean;
}

export interface TerminalEvent {
  kind: "pin" | "request" | "connect" | "sent" | "received" | "discarded" | "reversal" | "signin" | "advice" | "print" | "unknown-code" | "offline" | "settlement" | "card";
  detail?: string;
  stan?: string;
  mti?: string;
}

/** What the flows need of the terminal. */
export interface TxnContext {
  store: FlashLog;
  params(): TerminalParams;
  counters: Counters;
  journal: Journal;
  reversals: ReversalStore;
  exchange: CupExchange;
  settings(): ExchangeSettings;
  keys: WorkingKeys;
  pinpad: PinPad;
  operators: Operators;
  now(): number;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  emit(e: TerminalEvent): void;
  /** Signs in again (after an answer asking for it). */
  signIn(): Promise<unknown>;
  /** Prints the slips of a record (both copies); undefined when the terminal has no printer. */
  print?(record: JournalRecord): Promise<void>;
}

export interface CardInput {
  card: CardData;
  /** Ask the cardholder for the PIN on the PED. */
  pin?: boolean;
  /** The terminal read this stripe itself: chip first applies (a 2xx/6xx card is refused unless its chip failed). */
  chipFirst?: boolean;
}

/** The next step shown with each action. */
export const NEXT_STEP: { readonly [A in ResponseAction]: string } = {
  approve: "交易成功，打印签购单 / approved: print the slips",
  decline: "交易失败，可换卡或改用其他方式支付 / declined: another card or another way to pay",
  "re-enter": "请核对金额或卡片后重新交易 / check the amount or the card and try again",
  "retry-later": "请稍后重试 / try again later",
  "sign-in": "终端已重新签到，请重新交易 / the terminal signed in again: start the transaction again",
  "call-issuer": "请持卡人联系发卡行 / the cardholder calls the issuing bank",
  "retain-card": "请没收卡片并联系收单机构 / keep the card and call the acquirer",
  "use-chip": "请插卡交易 / insert the chip card",
  "check-setup": "请联系收单机构检查终端设置 / call the acquirer to check the terminal's setup",
};
const UNKNOWN_NEXT = "请记下应答码并联系收单机构 / note the response code and call the acquirer";

function codeOf(e: unknown): string {
  const c = e !== null && typeof e === "object" ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : "E_UNKNOWN";
}

/** Domestic (内卡) for settlement: UnionPay BINs 62 / 60 / 9; anything else counts as foreign (外卡). */
export function isDomesticPan(pan: string): boolean {
  return pan.startsWith("62") || pan.startsWith("60") || pan.startsWith("9");
}

const ADVICE_VERSION = 1;
/** Card fields (2, 14, 35, 36, 55) sealed by the PAN vault (txn/pan-vault.ts): they never rest in clear. */
const ADVICE_SEALED = 2;

export function encodeAdvice(req: CupRequest, vault?: PanVault): Uint8Array {
  const f = { ...req.fields };
  f[64] = undefined;
  if (vault) return vault.writeFields(new RecordWriter(160).u8(ADVICE_SEALED).str(req.mti).str(req.stan), f).finish();
  return new RecordWriter(128).u8(ADVICE_VERSION).str(req.mti).str(req.stan).bytes(encodeFields(f)).finish();
}

/** An advice whose stored request is gone (cannot happen: it is committed with the record): the books say failed. */
export function adviceLost(ctx: TxnContext, rec: JournalRecord): void {
  rec.flags &= ~FLAG_ADVICE;
  rec.state = "failed";
  rec.error = "E_ADVICE_LOST";
  ctx.journal.save(rec);
}

/** A stored advice; sealed card fields that cannot be opened (storage key changed) are left out (the host decides). */
export function decodeAdvice(b: Uint8Array, vault?: PanVault): CupRequest {
  const r = new RecordReader(b);
  const v = r.u8();
  if (v !== ADVICE_VERSION && !(v === ADVICE_SEALED && vault)) throw new CoreError("E_ADVICE_RECORD", "stored advice of another version");
  const mti = r.str();
  const stan = r.str();
  return { mti, stan, mac: true, fields: v === ADVICE_SEALED ? vault!.readFields(r).fields : decodeFields(r.bytes()) };
}

export class Flows {
  constructor(private readonly ctx: TxnContext) {}

  private mac(): MacFunction | undefined {
    return this.ctx.keys.macFunction();
  }

  // ---- reversal and advices ------------------------------------------------------------------------------

  /**
   * Sends the pending reversal, up to `reversalRetries` tries; any 0410 closes it (the original becomes
   * "reversed"). True when no reversal remains.
   */
  async flushReversal(): Promise<boolean> {
    const ctx = this.ctx;
    const rs = ctx.reversals;
    if (!rs.pending) return true;
    const mac = this.mac();
    if (!mac) return false; // no MAK: the caller signs in first
    const tries = ctx.params().reversalRetries;
    for (let i = 0; i < tries; i++) {
      const p = rs.pending!;
      rs.update(p.reason, p.tries + 1);
      ctx.emit({ kind: "reversal", stan: p.stan, detail: `send reason=${p.reason} try=${p.tries + 1}` });
      let resp: CupResponse;
      try {
        resp = await ctx.exchange.exchange(rs.request(), ctx.settings(), mac);
      } catch (e) {
        ctx.log.warn(`reversal STAN ${p.stan}: ${codeOf(e)} ${(e as Error).message}`);
        if (codeOf(e) === "E_HOST_UNREACHABLE") break; // no link: keep it for the next connection
        continue;
      }
      if (resp.code === "22" || resp.code === "A0" || resp.code === "99") {
        // Not processed: the host wants a new sign-in first (its keys are not ours). The reversal stays pending and
        // goes again once signed in (found by the network-fault matrix / power-cut campaign, test/reliability).
        ctx.keys.invalidate();
        ctx.log.warn(`reversal STAN ${p.stan} answered ${resp.code}: sign in again, then it goes again`);
        return false;
      }
      const rec = ctx.journal.get(p.slot);
      const changes: StoreChange[] = [rs.clearChange()];
      if (rec) {
        rec.state = "reversed";
        rec.reversalReason = p.reason;
        if (!rec.error) rec.error = "E_REVERSED";
        changes.push(...ctx.journal.change(rec));
      }
      ctx.store.commit(changes);
      if (rec) ctx.journal.applied(rec);
      rs.cleared();
      ctx.emit({ kind: "reversal", stan: p.stan, detail: `done code=${resp.code}` });
      ctx.log.info(`reversal of STAN ${p.stan} answered ${resp.code}`);
      return true;
    }
    return false;
  }

  /** Advices (refunds, offline sales) still waiting for an answer, oldest first. */
  pendingAdvices(): number[] {
    const out: number[] = [];
    for (const slot of this.ctx.journal.slotsWhere("pending")) {
      const r = this.ctx.journal.get(slot);
      if (r && r.flags & FLAG_ADVICE) out.push(slot);
    }
    return out;
  }

  /** Re-sends stored advices with their own STAN until answered; false when one still could not be sent. */
  async flushAdvices(): Promise<boolean> {
    const ctx = this.ctx;
    const mac = this.mac();
    for (const slot of this.pendingAdvices()) {
      const body = ctx.store.get(KEY_ADVICE_BASE + slot);
      const rec = ctx.journal.get(slot)!;
      if (!body) {
        adviceLost(ctx, rec);
        continue;
      }
      if (!mac) return false;
      const req = decodeAdvice(body, ctx.journal.vault);
      ctx.emit({ kind: "advice", stan: req.stan, mti: req.mti, detail: "resend" });
      let resp: CupResponse;
      try {
        resp = await ctx.exchange.exchange(req, ctx.settings(), mac);
      } catch (e) {
        ctx.log.warn(`advice STAN ${req.stan}: ${codeOf(e)}`);
        return false;
      }
      await this.finish(rec, resp, undefined);
    }
    return true;
  }

  // ---- the flow ------------------------------------------------------------------------------------------

  private requireReady(kind: TxnKind): void {
    const ctx = this.ctx;
    const p = ctx.params();
    if (!p.activated) throw new TxnError("E_NOT_ACTIVATED", "终端未激活 / the terminal is not activated");
    if (!ctx.keys.signedIn) throw new TxnError("E_NOT_SIGNED_IN", "请先签到 / sign in first");
    if (!ctx.operators.current) throw new TxnError("E_OPERATOR_REQUIRED", `请操作员签到 / an operator must sign in before a ${kind}`);
  }

  /** Step 1: the checks, the pending reversal first, then waiting advices (before the card is read or the PIN asked). */
  async ready(kind: TxnKind): Promise<void> {
    const ctx = this.ctx;
    const def = TXN[kind];
    this.requireReady(kind);
    if (!(await this.flushReversal())) {
      const p = ctx.reversals.pending;
      throw new TxnError("E_REVERSAL_PENDING", `冲正未完成，请稍后重试 / the reversal of STAN ${p ? p.stan : "?"} could not be sent: try again when the link is back`, undefined, "pending");
    }
    if (!def.advice && this.pendingAdvices().length) await this.flushAdvices();
  }

  /** Runs one financial transaction (see the file comment). */
  async run(kind: TxnKind, input: CardInput & { amount?: number; original?: OriginalRef; origSlot?: number }): Promise<TxnOutcome> {
    const ctx = this.ctx;
    await this.ready(kind);
    const params = ctx.params();
    const card = input.card;
    // PIN on the PED (format 0 under the PIK).
    let pinBlock: Uint8Array | undefined;
    if (input.pin) {
      // The entry is running on the PED when the UI (or a test agent) hears about it.
      const entry = ctx.pinpad.enterPin({ slot: ctx.keys.slots.pik, pan: card.pan, minLength: 4, maxLength: params.pinMaxLength, timeoutMs: 60000 });
      ctx.emit({ kind: "pin", detail: card.pan.length + "" });
      const r = await entry;
      if (r.status === "ok") pinBlock = r.pinBlock;
    }
    const rec = this.begin(kind, input, pinBlock);
    const resp = await this.send(rec);
    return this.finish(rec.record, resp, input.origSlot);
  }

  /**
   * Step 3: ONE commit with the STAN consumed, the journal record "pending" and the reversal record (or the stored
   * advice); nothing has been sent yet. The chip flow (chip.ts) calls it from the kernel's online step.
   */
  begin(kind: TxnKind, input: CardInput & { amount?: number; original?: OriginalRef }, pinBlock: Uint8Array | undefined): { record: JournalRecord; request: CupRequest } {
    const ctx = this.ctx;
    const def = TXN[kind];
    const params = ctx.params();
    const card = input.card;
    const stan = ctx.counters.peek();
    const batch = ctx.counters.batch;
    const req = buildFinancial(
      { terminalId: params.terminalId, merchantId: params.merchantId, stan, batch },
      { kind, amount: input.amount, card, pinBlock, pinCapture: params.pinMaxLength, doubleLengthPik: ctx.keys.state.code !== "001", original: input.original, operator: ctx.operators.current!.no },
    );
    const rec = ctx.journal.create(kind);
    rec.stan = stan;
    rec.batch = batch;
    rec.amount = def.amount ? input.amount ?? 0 : 0;
    rec.pan = card.pan;
    rec.expiry = card.expiry ?? (card.track2 ? expiryOfTrack(card.track2) : "");
    rec.entryMode = card.entryMode;
    rec.operator = ctx.operators.current!.no;
    rec.localTime = ctx.now();
    if (pinBlock) rec.flags |= FLAG_PIN;
    const o = input.original;
    if (o) {
      rec.origStan = o.trace ?? 0;
      rec.origBatch = o.batch ?? 0;
      rec.origDate = o.date ?? "";
      rec.origRrn = o.rrn ?? "";
      rec.origAuth = o.authCode ?? "";
    }
    if (def.advice) rec.flags |= FLAG_ADVICE;
    const changes: StoreChange[] = [ctx.counters.consumeChange(stan), ...ctx.journal.change(rec)];
    let reversal;
    if (def.reversible) {
      const r = ctx.reversals.recordChange(req, rec.slot, card.pan);
      changes.push(r.change);
      reversal = r.reversal;
    }
    if (def.advice) changes.push({ key: KEY_ADVICE_BASE + rec.slot, value: encodeAdvice(req, ctx.journal.vault) });
    ctx.store.commit(changes);
    ctx.counters.consumed(stan);
    ctx.journal.applied(rec);
    if (reversal) ctx.reversals.recorded(reversal);
    ctx.emit({ kind: "request", mti: req.mti, stan: req.stan, detail: kind });
    return { record: rec, request: req };
  }

  /** Step 4: the exchange; a failure goes through failed() (reversal when the request may have arrived) and throws. */
  async send(begun: { record: JournalRecord; request: CupRequest }): Promise<CupResponse> {
    const ctx = this.ctx;
    try {
      return await ctx.exchange.exchange(begun.request, ctx.settings(), this.mac());
    } catch (e) {
      return this.failed(begun.record, e);
    }
  }

  /** The request may or may not have reached the host and no usable answer came. */
  private async failed(rec: JournalRecord, e: unknown): Promise<never> {
    const ctx = this.ctx;
    const def = TXN[rec.kind];
    const code = codeOf(e);
    const sent = e instanceof ExchangeError ? e.sent : false;
    rec.error = code;
    const msg = (e as Error).message ?? String(e);
    if (!sent) {
      rec.state = "failed";
      rec.flags &= ~FLAG_ADVICE;
      const changes: StoreChange[] = [...ctx.journal.change(rec)];
      if (def.reversible) changes.push(ctx.reversals.clearChange());
      if (def.advice) changes.push({ key: KEY_ADVICE_BASE + rec.slot, value: undefined });
      ctx.store.commit(changes);
      ctx.journal.applied(rec);
      if (def.reversible) ctx.reversals.cleared();
      throw new TxnError(code, `${msg} (未发出，无需冲正 / not sent: nothing to reverse)`, rec, "none");
    }
    if (def.reversible) {
      const reason = code === "E_HOST_TIMEOUT" ? REASON_TIMEOUT : code === "E_MAC_MISMATCH" ? REASON_MAC : REASON_OTHER;
      ctx.journal.save(rec);
      ctx.reversals.update(reason, 0);
      const done = await this.flushReversal();
      throw new TxnError(code, `${msg} (${done ? "已冲正 / reversed" : "冲正待发 / reversal pending"})`, ctx.journal.get(rec.slot), done ? "sent" : "pending");
    }
    if (def.advice) {
      ctx.journal.save(rec);
      throw new TxnError(code, `${msg} (将重发 / the advice will be re-sent)`, rec, "none");
    }
    rec.state = "failed";
    ctx.journal.save(rec);
    throw new TxnError(code, msg, rec, "none");
  }

  /**
   * An answer came (its MAC verified when it had one). `extra`: more changes for the outcome's commit (the chip
   * flow's ICC data for the batch upload).
   */
  async finish(rec: JournalRecord, resp: CupResponse, origSlot: number | undefined, extra?: StoreChange[]): Promise<TxnOutcome> {
    const ctx = this.ctx;
    const def = TXN[rec.kind];
    const rc = responseCode(resp.code);
    if (!rc.known) {
      ctx.log.warn(`unknown response code ${JSON.stringify(resp.code)} to ${rec.kind} STAN ${rec.stan}: declined`);
      ctx.emit({ kind: "unknown-code", stan: resp.stan, detail: rc.code });
    }
    rec.responseCode = resp.code;
    rec.rrn = resp.rrn ?? "";
    rec.authCode = (resp.authCode ?? "").trim();
    rec.hostDate = resp.date ?? "";
    rec.hostTime = resp.time ?? "";
    rec.settlementDate = resp.settlementDate ?? "";
    rec.acquirerId = resp.acquirerId ?? "";
    rec.additional = resp.additional ?? "";
    const approved = resp.code === "00";
    const reverseAlso = !approved && def.reversible && ctx.params().reverseOnCodes.indexOf(resp.code) >= 0;
    rec.state = approved ? "approved" : "declined";
    rec.flags &= ~FLAG_ADVICE;
    const changes: StoreChange[] = [...ctx.journal.change(rec)];
    let orig: JournalRecord | undefined;
    if (approved && origSlot !== undefined) {
      orig = ctx.journal.get(origSlot);
      if (orig) {
        if (rec.kind === "void" || rec.kind === "completionVoid") orig.state = "voided";
        else if (rec.kind === "completion" || rec.kind === "preAuthCancel") orig.flags |= FLAG_CLOSED;
        changes.push(...ctx.journal.change(orig).slice(0, 1));
      }
    }
    if (def.reversible && !reverseAlso) changes.push(ctx.reversals.clearChange());
    if (def.advice) changes.push({ key: KEY_ADVICE_BASE + rec.slot, value: undefined });
    if (extra) changes.push(...extra);
    ctx.store.commit(changes);
    ctx.journal.applied(rec);
    if (orig) ctx.journal.applied(orig);
    if (def.reversible && !reverseAlso) ctx.reversals.cleared();

    const next = rc.known ? NEXT_STEP[rc.action] : UNKNOWN_NEXT;
    const out: TxnOutcome = { status: approved ? "approved" : "declined", kind: rec.kind, code: resp.code, text: rc.zh, en: rc.en, action: rc.action, next, known: rc.known, record: rec, reversal: "none" };
    if (reverseAlso) {
      ctx.reversals.update(REASON_OTHER, 0);
      out.reversal = (await this.flushReversal()) ? "sent" : "pending";
      out.record = ctx.journal.get(rec.slot) ?? rec;
    }
    if (approved && rec.kind === "balance" && resp.balance) {
      try {
        out.balance = parseBalance(resp.balance);
      } catch (e) {
        ctx.log.warn(`balance field 54 ${JSON.stringify(resp.balance)}: ${codeOf(e)}`);
      }
    }
    if (rc.action === "sign-in") {
      ctx.keys.invalidate();
      try {
        await ctx.signIn();
        out.resignedIn = true;
      } catch (e) {
        out.resignedIn = false;
        out.resignInError = codeOf(e);
      }
    }
    if (approved && rec.kind !== "balance" && ctx.print) {
      try {
        ctx.emit({ kind: "print", stan: String(rec.stan) });
        await ctx.print(rec);
        out.printed = true;
      } catch (e) {
        out.printed = false;
        out.printError = codeOf(e);
        ctx.log.warn(`slip of STAN ${rec.stan} not printed: ${codeOf(e)} (reprint later)`);
      }
    }
    return out;
  }
}

/** YYMM of a track 2 ("PAN=YYMM..."). */
export function expiryOfTrack(track2: string): string {
  let i = track2.indexOf("=");
  if (i < 0) i = track2.indexOf("D");
  return i >= 0 ? track2.substring(i + 1, i + 5) : "";
}
