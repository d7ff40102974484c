/**
 * The Terminal API the UI and a test agent call: activation, sign-in, operator sign-in, the online transactions
 * (sale, balance, void, refund, pre-auth, pre-auth cancel, completion, completion void), settlement, reprint, the
 * journal and the terminal's state. Each transaction returns a TxnOutcome (approved / declined with the response
 * code's text and action) or throws a typed error (TxnError, ExchangeError, ParamError, CoreError, HalError —
 * all with a stable `code`).
 *
 * Built from the HAL (flash store, clock, log, RNG), a PinPad over the PED, a NetConnector (the link manager, the
 * 4G module's sockets, or an in-bundle scripted host) and an optional Printer.
 */
import { CoreError } from "../core/errors";
import type { FlashLog } from "../store/flash-log";
import type { Hal } from "../../hal/index";
import type { PinPad } from "../../hal/ped/pinpad";
import type { Printer } from "../../hal/escpos/printer";
import type { NetConnector } from "../../hal/net/socket";
import { CupExchange, type ExchangeSettings } from "../cup/exchange";
import { responseCode, type ResponseAction } from "../cup/response-codes";
import { buildActivation, buildEcho, buildSignIn, buildSignOut, TXN, type CardData, type TxnKind } from "../cup/messages";
import { Flows, TxnError, type TerminalEvent, type TxnContext, type TxnOutcome, type CardInput } from "../txn/flows";
import { FLAG_ADVICE, FLAG_CLOSED, Journal, type JournalRecord } from "../txn/journal";
import { ReversalStore } from "../txn/reversal";
import { PanVault, maskedPan } from "../txn/pan-vault";
import { settle as settleBatch, settlementInProgress, lastSettlementReport, type SettlementOutcome, type SettlementReport, type SettlementPhase } from "../txn/settlement";
import { offlinePending, offlineSale as offlineSaleFlow, uploadOffline, type OfflineUpload } from "../txn/offline";
import { civilFromDays, slipBothCopies } from "../receipt/slip";
import { settlementReportLines } from "../receipt/settlement";
import { Counters } from "./counters";
import { framingOf, loadParams, mergeParams, paramsChange, type TerminalParams } from "./params";
import { Operators, type OperatorSession } from "./operator";
import { WorkingKeys } from "./signin";
import { activationDecline, applyActivation } from "./activation";
import { openStore, MAX_JOURNAL_SLOTS } from "./storage";
import { chipTransaction, emvConfig, swipeEntry, type ChipDeps, type ChipInput, type ChipReaders, type EmvSetup, type FallbackState } from "../txn/chip";

export type { TxnOutcome, TerminalEvent } from "../txn/flows";
export type { SettlementOutcome, SettlementReport, SettlementPhase } from "../txn/settlement";
export type { OfflineUpload } from "../txn/offline";
export { TxnError } from "../txn/flows";
export type { ChipInput, ChipReaders, EmvSetup, ChipSlot } from "../txn/chip";

export interface TerminalOptions {
  hal: Hal;
  pinpad: PinPad;
  connector: NetConnector;
  printer?: Printer;
  /** Default: the board's "store" partition. */
  store?: FlashLog;
  onEvent?(e: TerminalEvent): void;
  firmwareVersion?: string;
  /** The chip readers (contact slot, contactless field): chip and contactless sales, and chip first for swipes. */
  chip?: ChipReaders;
  /** EMV parameters replacing the defaults (AIDs, CA keys, capabilities: txn/chip.ts emvConfig). */
  emv?: EmvSetup;
}

export interface ActivationOutcome {
  status: "approved" | "declined";
  code: string;
  text: string;
  en: string;
  /** What the merchant does next (declines). */
  next?: string;
  terminalId?: string;
  merchantId?: string;
  merchantName?: string;
}

export interface SignInOutcome {
  status: "approved" | "declined";
  code: string;
  text: string;
  action: ResponseAction;
  batch: number;
  signInCode: string;
  /** The host's batch differed and the terminal took it. */
  batchChanged?: boolean;
}

export interface TerminalState {
  activated: boolean;
  signedIn: boolean;
  signInCode: string;
  terminalId: string;
  merchantId: string;
  merchantName: string;
  operator: string | null;
  supervisor: boolean;
  batch: number;
  nextStan: number;
  reversalPending: { stan: string; reason: string; tries: number } | null;
  pendingAdvices: number;
  journalCount: number;
  journalCapacity: number;
  /** Offline sales approved at the terminal and not yet uploaded. */
  offlinePending: number;
  /** A settlement a power cut or an error interrupted (settle() resumes it); null when none. */
  settlement: { phase: SettlementPhase; batch: number; uploaded: number; toUpload: number } | null;
}

/** settle(): the settlement, then the sign-out and (by the autoSignIn parameter) the new sign-in. */
export interface SettleResult extends SettlementOutcome {
  /** The settlement report was printed (false: printer problem, reprintSettlement() later; undefined: no printer). */
  printed?: boolean;
  printError?: string;
  /** Field 39 of the sign-out's answer, or the error code when it could not go. */
  signOut: string;
  /** The automatic sign-in (autoSignIn parameter): its answer, or the error code; undefined when off. */
  signIn?: SignInOutcome | { status: "failed"; code: string };
}

export interface FollowUpOptions {
  card?: CardData;
  pin?: boolean;
  supervisorPassword?: string;
}

export class Terminal {
  readonly store: FlashLog;
  private params: TerminalParams;
  readonly counters: Counters;
  readonly journalStore: Journal;
  readonly reversals: ReversalStore;
  readonly keys: WorkingKeys;
  readonly operators: Operators;
  readonly exchange: CupExchange;
  private readonly flows: Flows;
  private readonly ctx: TxnContext;
  private readonly chipDeps: ChipDeps;
  /** A technical chip failure lets the next swipe through as a fallback (RAM: one attempt). */
  private readonly fallback: FallbackState = { armed: false };
  private busy = false;

  private constructor(private readonly o: TerminalOptions) {
    const hal = o.hal;
    this.store = o.store ?? openStore(hal);
    this.params = loadParams(this.store);
    this.counters = new Counters(this.store);
    // Card data at rest sealed under a PED-only key (txn/pan-vault.ts, PCI DSS 3.4).
    const vault = new PanVault(this.store, o.pinpad, (b) => hal.system.random(b));
    this.journalStore = new Journal(this.store, Math.min(this.params.journalCapacity, MAX_JOURNAL_SLOTS), vault);
    this.reversals = new ReversalStore(this.store, vault);
    this.keys = new WorkingKeys(this.store, o.pinpad);
    this.operators = new Operators(this.store, (b) => hal.system.random(b));
    const emit = (e: TerminalEvent) => {
      if (o.onEvent) {
        try {
          o.onEvent(e);
        } catch {
          // an observer's failure is not the transaction's
        }
      }
    };
    this.exchange = new CupExchange({
      connector: o.connector,
      monotonic: () => hal.time.monotonic(),
      onEvent: (e) => {
        if (e.kind !== "closed") emit({ kind: e.kind, mti: e.mti, stan: e.stan, detail: e.detail });
      },
    });
    this.ctx = {
      store: this.store,
      params: () => this.params,
      counters: this.counters,
      journal: this.journalStore,
      reversals: this.reversals,
      exchange: this.exchange,
      settings: () => this.settings(),
      keys: this.keys,
      pinpad: o.pinpad,
      operators: this.operators,
      now: () => hal.time.now(),
      log: hal.log,
      emit,
      signIn: () => this.signInNow(),
      print: o.printer ? (rec) => this.printSlip(rec, false) : undefined,
    };
    this.flows = new Flows(this.ctx);
    this.chipDeps = {
      ctx: this.ctx,
      flows: this.flows,
      readers: o.chip ?? {},
      config: () => emvConfig(this.params, hal.system.serialNumber(), o.emv),
      random: (b) => hal.system.random(b),
      fallback: this.fallback,
    };
  }

  /** Chip first: a swiped chip card is refused (E_USE_CHIP) unless its chip just failed (then 22 = 80x). */
  private cardIn<T extends CardInput>(o: T): T {
    // Applies to stripes the terminal read itself (chipFirst: the menu, the agent's {swipe}); track data handed in
    // by a harness is taken as given. Before sign-in the flow's own refusal comes first.
    if (!o.chipFirst || !this.keys.signedIn || !this.params.activated) return o;
    const hasChip = !!(this.o.chip && (this.o.chip.contact || this.o.chip.contactless));
    return { ...o, card: swipeEntry(o.card, this.fallback, hasChip) };
  }

  /** Mounts the store and reads the terminal's state (synchronous: no I/O beyond flash). */
  static open(options: TerminalOptions): Terminal {
    return new Terminal(options);
  }

  private settings(): ExchangeSettings {
    const p = this.params;
    return { host: p.hostAddress, port: p.hostPort, connectTimeoutMs: p.connectTimeoutMs, responseTimeoutMs: p.responseTimeoutMs, framing: framingOf(p) };
  }

  /** One operation at a time (the terminal has one line and one PED). */
  private async serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy) throw new CoreError("E_TERMINAL_BUSY", "另一笔交易正在进行 / another operation is in progress");
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }

  // ---- parameters, state, journal -----------------------------------------------------------------------

  /** Changes parameters (validated; nothing changes when one is bad) and stores them. */
  configure(changes: Partial<TerminalParams>): TerminalParams {
    if (changes.activated !== undefined) throw new CoreError("E_PARAM_UNKNOWN", "activation is not a parameter: use activate()");
    const next = mergeParams(this.params, changes);
    this.store.commit([paramsChange(next)]);
    this.params = next;
    return { ...next };
  }

  parameters(): TerminalParams {
    return { ...this.params, reverseOnCodes: this.params.reverseOnCodes.slice() };
  }

  state(): TerminalState {
    const p = this.params;
    const rev = this.reversals.pending;
    const op = this.operators.current;
    return {
      activated: p.activated,
      signedIn: this.keys.signedIn,
      signInCode: this.keys.state.code,
      terminalId: p.terminalId,
      merchantId: p.merchantId,
      merchantName: p.merchantName,
      operator: op ? op.no : null,
      supervisor: op ? op.supervisor : false,
      batch: this.counters.batch,
      nextStan: this.counters.peek(),
      reversalPending: rev ? { stan: rev.stan, reason: rev.reason, tries: rev.tries } : null,
      pendingAdvices: this.flows.pendingAdvices().length,
      journalCount: this.journalStore.count,
      journalCapacity: this.journalStore.capacity,
      offlinePending: offlinePending(this.ctx).length,
      settlement: this.settlementState(),
    };
  }

  /** Every transaction of the open batch, oldest first. */
  journal(): JournalRecord[] {
    return this.journalStore.list();
  }

  // ---- activation and sign-in ----------------------------------------------------------------------------

  /** 激活 with the code the acquirer gave the merchant. */
  activate(code: string): Promise<ActivationOutcome> {
    return this.serial(async () => {
      const hal = this.o.hal;
      const stan = this.counters.take();
      const req = buildActivation(stan, { serialNumber: hal.system.serialNumber(), activationCode: code, firmwareVersion: this.o.firmwareVersion ?? __VERSION__ });
      const resp = await this.exchange.exchange(req, this.settings(), undefined);
      if (resp.code !== "00") {
        const d = activationDecline(resp.code);
        hal.log.warn(`activation declined ${resp.code}: ${d.en}`);
        return { status: "declined", code: resp.code, text: d.zh, en: d.en, next: d.next };
      }
      const next = applyActivation(resp, this.params, this.o.pinpad);
      // New TMK: the working keys of any earlier activation are void.
      this.keys.invalidate();
      this.store.commit([paramsChange(next)]);
      this.params = next;
      hal.log.info(`activated as terminal ${next.terminalId} merchant ${next.merchantId}`);
      return { status: "approved", code: "00", text: "激活成功", en: "Activated", terminalId: next.terminalId, merchantId: next.merchantId, merchantName: next.merchantName };
    });
  }

  /** 签到: new working keys (all or none), the host's batch; then a pending reversal goes out. */
  signIn(): Promise<SignInOutcome> {
    return this.serial(async () => {
      const r = await this.signInNow();
      if (r.status === "approved") await this.flows.flushReversal();
      return r;
    });
  }

  private async signInNow(): Promise<SignInOutcome> {
    const p = this.params;
    if (!p.activated) throw new TxnError("E_NOT_ACTIVATED", "终端未激活 / the terminal is not activated");
    const stan = this.counters.take();
    const operator = this.operators.current ? this.operators.current.no : "01";
    const req = buildSignIn({ terminalId: p.terminalId, merchantId: p.merchantId, stan, batch: this.counters.batch }, p.signInCode, operator);
    const resp = await this.exchange.exchange(req, this.settings(), undefined);
    const rc = responseCode(resp.code);
    if (resp.code !== "00") {
      this.keys.invalidate();
      return { status: "declined", code: resp.code, text: rc.zh, action: rc.action, batch: this.counters.batch, signInCode: p.signInCode };
    }
    this.keys.install(resp.field62, p.signInCode, this.o.hal.time.now());
    let batchChanged = false;
    const hostBatch = resp.field60 && resp.field60.length >= 8 ? Number(resp.field60.substring(2, 8)) : NaN;
    if (hostBatch >= 1 && hostBatch <= 999999 && hostBatch !== this.counters.batch) {
      this.store.commit([this.counters.batchChange(hostBatch)]);
      this.counters.batchSet(hostBatch);
      batchChanged = true;
    }
    this.setClock(resp.date, resp.time);
    // The PAN vault's storage key is made (or checked) here, not in the first transaction's commits.
    this.journalStore.vault?.prepare();
    this.ctx.emit({ kind: "signin", detail: `batch=${this.counters.batch}` });
    return { status: "approved", code: "00", text: rc.zh, action: rc.action, batch: this.counters.batch, signInCode: p.signInCode, batchChanged };
  }

  /** Sets the RTC from the host's MMDD + hhmmss (Beijing time) when it is more than a minute off. */
  private setClock(mmdd: string | undefined, hhmmss: string | undefined): void {
    if (!mmdd || !hhmmss || mmdd.length !== 4 || hhmmss.length !== 6) return;
    const time = this.o.hal.time;
    const now = time.now();
    if (now <= 0) return;
    const local = now + 8 * 3600000;
    const days = Math.floor(local / 86400000);
    const c = civilFromDays(days);
    const m = Number(mmdd.substring(0, 2));
    const d = Number(mmdd.substring(2));
    let y = c.y;
    if (m === 1 && c.m === 12) y++;
    else if (m === 12 && c.m === 1) y--;
    const hostDays = daysFromCivil(y, m, d);
    const hostMs = hostDays * 86400000 + (Number(hhmmss.substring(0, 2)) * 3600 + Number(hhmmss.substring(2, 4)) * 60 + Number(hhmmss.substring(4))) * 1000 - 8 * 3600000;
    if (hostMs === hostMs && Math.abs(hostMs - now) > 60000) time.setNow(hostMs);
  }

  /** 签退: the host is told, the working keys are dropped. */
  signOut(): Promise<{ code: string }> {
    return this.serial(async () => {
      const p = this.params;
      const stan = this.counters.take();
      const resp = await this.exchange.exchange(buildSignOut({ terminalId: p.terminalId, merchantId: p.merchantId, stan, batch: this.counters.batch }, this.operators.current ? this.operators.current.no : "01"), this.settings(), undefined);
      this.keys.invalidate();
      return { code: resp.code };
    });
  }

  /** 回响测试. */
  echo(): Promise<{ code: string }> {
    return this.serial(async () => {
      const p = this.params;
      const stan = this.counters.take();
      const resp = await this.exchange.exchange(buildEcho({ terminalId: p.terminalId || "00000000", merchantId: p.merchantId || "               ", stan, batch: this.counters.batch }), this.settings(), undefined);
      return { code: resp.code };
    });
  }

  /** 操作员签到 (offline). */
  operatorSignIn(no: string, password: string): OperatorSession {
    return this.operators.signIn(no, password);
  }

  operatorSignOut(): void {
    this.operators.signOut();
  }

  /**
   * At boot (and whenever the link is back): sends a pending reversal, then re-sends advices. Signs in first when
   * the terminal is signed out and has something to send (the reversal needs a MAC).
   */
  recover(): Promise<{ reversal: "none" | "sent" | "pending"; advices: number; offline: number }> {
    return this.serial(async () => {
      this.failInterrupted();
      const had = this.reversals.pending !== undefined;
      const advices = this.flows.pendingAdvices().length;
      const offline = offlinePending(this.ctx).length;
      if (!had && advices === 0 && offline === 0) return { reversal: "none", advices: 0, offline: 0 };
      let sent = false;
      // A second pass when the host asked for a new sign-in on the way (the terminal believed it was signed in).
      for (let pass = 0; pass < 2; pass++) {
        if (!this.keys.signedIn && this.params.activated) {
          try {
            await this.signInNow();
          } catch (e) {
            this.o.hal.log.warn(`recover: sign-in failed ${(e as { code?: string }).code ?? ""}`);
          }
        }
        sent = await this.flows.flushReversal();
        if (sent && (await this.flows.flushAdvices())) await uploadOffline(this.ctx);
        const left = this.reversals.pending !== undefined || this.flows.pendingAdvices().length > 0 || offlinePending(this.ctx).length > 0;
        if (!left || this.keys.signedIn) break;
      }
      return { reversal: had ? (sent ? "sent" : "pending") : "none", advices: this.flows.pendingAdvices().length, offline: offlinePending(this.ctx).length };
    });
  }

  /**
   * A power cut between a transaction's first commit and its outcome leaves its record "pending". Reversible kinds
   * have their reversal and advices their stored request to finish them; a kind with neither (the balance inquiry)
   * has nothing to resolve it: it failed (found by the power-cut campaign, test/reliability/cuts.test.ts).
   */
  private failInterrupted(): void {
    const rev = this.reversals.pending;
    for (const slot of this.journalStore.slotsWhere("pending")) {
      const rec = this.journalStore.get(slot);
      if (!rec || (rev && rev.slot === slot) || TXN[rec.kind].reversible || TXN[rec.kind].advice) continue;
      rec.state = "failed";
      if (!rec.error) rec.error = "E_POWER_CUT";
      this.journalStore.save(rec);
    }
  }

  // ---- transactions ------------------------------------------------------------------------------------

  /** 消费. */
  sale(o: CardInput & { amount: number }): Promise<TxnOutcome> {
    return this.financial(async () => this.flows.run("sale", this.cardIn(o)));
  }

  /** 余额查询. */
  balance(o: CardInput): Promise<TxnOutcome> {
    return this.financial(async () => this.flows.run("balance", this.cardIn(o)));
  }

  /** 预授权. */
  preAuth(o: CardInput & { amount: number }): Promise<TxnOutcome> {
    return this.financial(async () => this.flows.run("preAuth", this.cardIn(o)));
  }

  /**
   * 消费 / 余额查询 / 预授权 with the card in the contact slot (22 = 05x) or in the contactless field (07x): the EMV
   * kernel with the host (txn/chip.ts). `kind` defaults to "sale".
   */
  chipSale(o: ChipInput): Promise<TxnOutcome> {
    return this.financial(() => chipTransaction(this.chipDeps, o));
  }

  private original(trace: number, kinds: TxnKind[], what: string): JournalRecord {
    if (!(trace >= 1 && trace <= 999999)) throw new TxnError("E_ORIGINAL_INPUT", `原凭证号无效 / original trace ${trace} is not 1..999999`);
    const rec = this.journalStore.findByStan(trace, this.counters.batch);
    if (!rec || kinds.indexOf(rec.kind) < 0) throw new TxnError("E_ORIGINAL_NOT_FOUND", `原交易不存在 / no ${what} with trace ${trace} in batch ${this.counters.batch}`);
    if (rec.state === "voided") throw new TxnError("E_ORIGINAL_VOIDED", `原交易已撤销 / ${what} ${trace} is already voided`, rec);
    if (rec.state !== "approved") throw new TxnError("E_ORIGINAL_STATE", `原交易状态为${rec.state}，不能撤销 / ${what} ${trace} is ${rec.state}, not approved`, rec);
    return rec;
  }

  private cardFor(rec: JournalRecord, given: CardData | undefined): CardData {
    // The journal keeps the PAN sealed (txn/pan-vault.ts): opened only here, for the message; a record whose
    // PAN cannot be opened (E_PAN_KEY_CHANGED / E_PAN_NOT_STORED) needs the card, checked on its first 6 / last 4.
    if (given) {
      let pan: string;
      try {
        pan = this.journalStore.revealPan(rec);
      } catch {
        pan = maskedPan(given.pan) === rec.pan ? given.pan : "";
      }
      if (given.pan !== pan) throw new TxnError("E_CARD_MISMATCH", "卡号与原交易不符 / the card is not the one of the original transaction", rec);
      return given;
    }
    let pan: string;
    try {
      pan = this.journalStore.revealPan(rec);
    } catch (e) {
      const code = (e as { code?: string }).code ?? "E_PAN_KEY_CHANGED";
      throw new TxnError(code, `原卡号无法读取，请刷原卡 / the stored card number of trace ${rec.stan} cannot be read (${code}): present the card`, rec);
    }
    return { entryMode: "manual", pan, expiry: rec.expiry || undefined };
  }

  /** 消费撤销 of the sale with trace `trace` in the open batch (supervisor). */
  voidSale(trace: number, o: FollowUpOptions = {}): Promise<TxnOutcome> {
    return this.financial(async () => {
      this.operators.authorize("撤销 / a void", o.supervisorPassword);
      const rec = this.original(trace, ["sale"], "sale");
      const card = this.cardFor(rec, o.card);
      return this.flows.run("void", { card, pin: o.pin, amount: rec.amount, original: { batch: rec.batch, trace: rec.stan, rrn: rec.rrn, authCode: rec.authCode || undefined }, origSlot: rec.slot });
    });
  }

  /** 预授权完成撤销 of the completion with trace `trace` (supervisor). */
  completionVoid(trace: number, o: FollowUpOptions = {}): Promise<TxnOutcome> {
    return this.financial(async () => {
      this.operators.authorize("预授权完成撤销 / a completion void", o.supervisorPassword);
      const rec = this.original(trace, ["completion"], "completion");
      const card = this.cardFor(rec, o.card);
      return this.flows.run("completionVoid", { card, pin: o.pin, amount: rec.amount, original: { batch: rec.batch, trace: rec.stan, rrn: rec.rrn, authCode: rec.authCode || undefined }, origSlot: rec.slot });
    });
  }

  /** 退货 (0220 advice; supervisor): by the original's reference number and date (MMDD). */
  refund(o: CardInput & { amount: number; original: { rrn: string; date: string; trace?: number; batch?: number }; supervisorPassword?: string }): Promise<TxnOutcome> {
    return this.financial(async () => {
      this.operators.authorize("退货 / a refund", o.supervisorPassword);
      const orig = o.original;
      if (!orig || typeof orig.rrn !== "string" || orig.rrn.length !== 12) throw new TxnError("E_ORIGINAL_INPUT", "原参考号应为12位 / the original reference number has 12 characters");
      if (typeof orig.date !== "string" || !/^[0-9]{4}$/.test(orig.date)) throw new TxnError("E_ORIGINAL_INPUT", "原交易日期应为MMDD / the original date is MMDD");
      return this.flows.run("refund", { card: o.card, amount: o.amount, original: { rrn: orig.rrn, date: orig.date, trace: orig.trace ?? 0, batch: orig.batch ?? 0 } });
    });
  }

  /** A pre-auth of this batch by trace, or one given by its auth code and date. */
  private preAuthRef(o: { trace?: number; authCode?: string; date?: string }): { rec?: JournalRecord; authCode: string; date: string } {
    if (o.trace !== undefined) {
      const rec = this.original(o.trace, ["preAuth"], "pre-authorization");
      if (rec.flags & FLAG_CLOSED) throw new TxnError("E_ORIGINAL_CLOSED", `预授权已完成或已撤销 / pre-authorization ${o.trace} is already completed or cancelled`, rec);
      return { rec, authCode: rec.authCode, date: rec.hostDate || "0000" };
    }
    if (!o.authCode || !/^[0-9A-Za-z ]{1,6}$/.test(o.authCode)) throw new TxnError("E_ORIGINAL_INPUT", "需要预授权码 / the pre-authorization code is needed");
    if (!o.date || !/^[0-9]{4}$/.test(o.date)) throw new TxnError("E_ORIGINAL_INPUT", "需要预授权日期MMDD / the pre-authorization date MMDD is needed");
    return { authCode: o.authCode, date: o.date };
  }

  /** 预授权撤销 (supervisor). */
  preAuthCancel(o: FollowUpOptions & { trace?: number; authCode?: string; date?: string; amount?: number }): Promise<TxnOutcome> {
    return this.financial(async () => {
      this.operators.authorize("预授权撤销 / a pre-auth cancel", o.supervisorPassword);
      const ref = this.preAuthRef(o);
      const card = ref.rec ? this.cardFor(ref.rec, o.card) : o.card;
      if (!card) throw new TxnError("E_CARD_REQUIRED", "需要卡片 / the card is needed");
      const amount = o.amount ?? (ref.rec ? ref.rec.amount : 0);
      return this.flows.run("preAuthCancel", { card, pin: o.pin, amount, original: { authCode: ref.authCode, date: ref.date, trace: ref.rec?.stan, batch: ref.rec?.batch }, origSlot: ref.rec?.slot });
    });
  }

  /** 预授权完成(请求). */
  completion(o: FollowUpOptions & { trace?: number; authCode?: string; date?: string; amount: number }): Promise<TxnOutcome> {
    return this.financial(async () => {
      const ref = this.preAuthRef(o);
      const card = ref.rec ? this.cardFor(ref.rec, o.card) : o.card;
      if (!card) throw new TxnError("E_CARD_REQUIRED", "需要卡片 / the card is needed");
      return this.flows.run("completion", { card, pin: o.pin, amount: o.amount, original: { authCode: ref.authCode, date: ref.date, trace: ref.rec?.stan, batch: ref.rec?.batch }, origSlot: ref.rec?.slot });
    });
  }

  /**
   * 结算 (supervisor): offline sales uploaded first, totals (0500), batch upload and settlement again when the host
   * disagrees, the batch closed, the report printed; then 签退 and, by the autoSignIn parameter, 签到 again. A
   * settlement that a power cut or an error interrupted resumes where it stopped (txn/settlement.ts).
   */
  settle(o: { supervisorPassword?: string } = {}): Promise<SettleResult> {
    return this.serial(async () => {
      this.operators.authorize("结算 / settlement", o.supervisorPassword);
      const out = await settleBatch(this.ctx, {
        flushReversal: () => this.flows.flushReversal(),
        flushAdvices: () => this.flows.flushAdvices(),
        uploadOffline: async () => (await uploadOffline(this.ctx)).left === 0,
      });
      const result: SettleResult = { ...out, signOut: "" };
      if (this.o.printer) {
        try {
          await this.o.printer.print(settlementReportLines(out.report));
          result.printed = true;
        } catch (e) {
          result.printed = false;
          result.printError = (e as { code?: string }).code ?? "E_UNKNOWN";
          this.o.hal.log.warn(`settlement report not printed: ${result.printError} (reprint later)`);
        }
      }
      result.signOut = await this.signOutNow();
      if (this.params.autoSignIn) {
        try {
          result.signIn = await this.signInNow();
        } catch (e) {
          result.signIn = { status: "failed", code: (e as { code?: string }).code ?? "E_UNKNOWN" };
          if (result.signIn.code === "E_POWER_OFF") throw e;
        }
      }
      return result;
    });
  }

  /** 签退 inside another operation: the keys are dropped whatever the host says; the answer code or the error. */
  private async signOutNow(): Promise<string> {
    const p = this.params;
    let code: string;
    try {
      const stan = this.counters.take();
      const resp = await this.exchange.exchange(buildSignOut({ terminalId: p.terminalId, merchantId: p.merchantId, stan, batch: this.counters.batch }, this.operators.current ? this.operators.current.no : "01"), this.settings(), undefined);
      code = resp.code;
    } catch (e) {
      code = (e as { code?: string }).code ?? "E_UNKNOWN";
      if (code === "E_POWER_OFF") throw e;
    }
    this.keys.invalidate();
    this.ctx.emit({ kind: "signin", detail: `signed out ${code}` });
    return code;
  }

  private settlementState(): TerminalState["settlement"] {
    const st = settlementInProgress(this.ctx);
    return st ? { phase: st.phase, batch: st.batch, uploaded: st.uploadNext, toUpload: st.uploadTotal } : null;
  }

  /** The report of the last settlement (undefined before the first). */
  lastSettlement(): SettlementReport | undefined {
    return lastSettlementReport(this.ctx);
  }

  /** 重打印结算单. */
  reprintSettlement(): Promise<SettlementReport> {
    return this.serial(async () => {
      const r = lastSettlementReport(this.ctx);
      if (!r) throw new CoreError("E_NOTHING_TO_PRINT", "无结算单可重打印 / no settlement report to reprint");
      const printer = this.o.printer;
      if (!printer) throw new CoreError("E_NO_PRINTER", "终端没有打印机 / no printer");
      await printer.print(settlementReportLines(r, { reprint: true }));
      return r;
    });
  }

  /**
   * Checks before a transaction: no settlement left half done, room in the journal (a full journal forces the
   * settlement first).
   */
  private guard(): void {
    const st = settlementInProgress(this.ctx);
    if (st) throw new TxnError("E_SETTLEMENT_PENDING", `结算未完成（批次${st.batch}，步骤${st.phase}），请先完成结算 / the settlement of batch ${st.batch} stopped at ${st.phase}: settle again to finish it before new transactions`);
    if (this.journalStore.count >= this.journalStore.capacity)
      throw new TxnError("E_JOURNAL_FULL", `交易流水已满（${this.journalStore.capacity}笔），请先结算 / the journal holds ${this.journalStore.capacity} transactions: settle the batch before more sales`);
  }

  /** A transaction: one at a time, after the guard; offline sales waiting go up once the line proved to work. */
  private financial(work: () => Promise<TxnOutcome>): Promise<TxnOutcome> {
    return this.serial(async () => {
      this.guard();
      const out = await work();
      if (this.keys.signedIn && offlinePending(this.ctx).length) {
        try {
          await uploadOffline(this.ctx);
        } catch (e) {
          if ((e as { code?: string }).code === "E_POWER_OFF") throw e;
          this.o.hal.log.warn(`offline upload: ${(e as { code?: string }).code ?? "E_UNKNOWN"}`);
        }
      }
      return out;
    });
  }

  /** 离线消费: within the floor limit, or approved offline by the chip; uploaded later (store-and-forward). */
  offlineSale(o: CardInput & { amount: number; chipApproved?: boolean }): Promise<TxnOutcome> {
    return this.serial(async () => {
      this.guard();
      return offlineSaleFlow(this.ctx, o);
    });
  }

  /** Sends the offline sales not yet uploaded (also done after online transactions, at recover() and before settling). */
  uploadOffline(): Promise<OfflineUpload> {
    return this.serial(() => uploadOffline(this.ctx));
  }

  /** 交易查询: the transaction with trace `trace` in the open batch. */
  inquiry(trace: number): JournalRecord {
    const rec = this.journalStore.findByStan(trace, this.counters.batch);
    if (!rec) throw new TxnError("E_TXN_NOT_FOUND", `本批次无凭证号${trace}的交易 / no transaction with trace ${trace} in batch ${this.counters.batch}`);
    return rec;
  }

  /** 重打印任意一笔: both slips of the transaction with trace `trace` of the open batch, marked REPRINT. */
  reprint(trace: number): Promise<JournalRecord> {
    return this.serial(async () => {
      const rec = this.inquiry(trace);
      if (rec.kind === "balance" || !(rec.state === "approved" || rec.state === "voided" || rec.state === "uploaded"))
        throw new CoreError("E_NOTHING_TO_PRINT", `凭证号${trace}的交易没有签购单（${rec.state}） / transaction ${trace} has no slip (${rec.kind}, ${rec.state})`);
      await this.printSlip(rec, true);
      return rec;
    });
  }

  // ---- slips -------------------------------------------------------------------------------------------

  private async printSlip(rec: JournalRecord, reprint: boolean): Promise<void> {
    const printer = this.o.printer;
    if (!printer) throw new CoreError("E_NO_PRINTER", "终端没有打印机 / no printer");
    const p = this.params;
    await printer.print(slipBothCopies(rec, { merchantName: p.merchantName, merchantId: p.merchantId, terminalId: p.terminalId }, { reprint }));
  }

  /** 重打印: both slips of the last approved transaction again, marked REPRINT. */
  reprintLast(): Promise<JournalRecord> {
    return this.serial(async () => {
      const rec = this.journalStore.latest((r) => r.kind !== "balance" && !(r.flags & FLAG_ADVICE) && (r.state === "approved" || r.state === "voided" || r.state === "uploaded"));
      if (!rec) throw new CoreError("E_NOTHING_TO_PRINT", "无可重打印的交易 / no transaction to reprint");
      await this.printSlip(rec, true);
      return rec;
    });
  }
}

/** Days since 1970-01-01 of a civil date (H. Hinnant). */
export function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
