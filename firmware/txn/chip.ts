/**
 * Chip (EMV contact, field 22 = 05x) and contactless (qPBOC, 07x) transactions over the CUP flows: sale, balance
 * inquiry and pre-authorization with the card in the reader, the EMV kernel (firmware/emv) deciding with the
 * terminal, the card and the issuer.
 *
 *  1. the flow's checks and the pending reversal first (Flows.ready), before the card is touched;
 *  2. the card powered (ATR) or activated (ATS); a technical failure arms the fallback: the next swipe of that card
 *     is taken as a fallback (22 = 80x) instead of being refused with "请插卡" (chip first, swipeEntry below);
 *  3. the kernel: selection (cardholder choice when asked), records, ODA, restrictions, CVM (online PIN through the
 *     PED under the PIK: the kernel calls back), terminal risk management, first GENERATE AC;
 *  4. the kernel's online step does the 8583 exchange: ONE commit with the STAN, the journal record "pending" and
 *     the reversal record (Flows.begin) before the request leaves, with 2/14/22/23/35/55 from the card; the answer's
 *     field 55 (91 ARPC, 71/72 scripts) goes back to the kernel. An approval turns the stored reversal's reason into
 *     96 (approved, not completed at the terminal) until the card has had its second GENERATE AC;
 *  5. the outcome: the card approved (TC) or declined (AAC) what the host answered -> Flows.finish with the final
 *     field 55 stored for the batch upload in the same commit; the host approved but the card declined at the second
 *     GENERATE AC -> reversal 96 at once, outcome "declined by card"; no host answer after the request left -> the
 *     usual reversal (98/06/A0) and the error; the host unreachable before anything left -> the card's own decision
 *     (Z3): a TC is stored as an offline sale (0220 advice with the TC, store-and-forward), an AAC is declined;
 *     offline decisions without going online (qPBOC TC within the card's balance, an AAC at the first GENERATE AC):
 *     offline sale with its advice, or a declined journal record (code Z1) that never goes on the line.
 *
 * ICC data of a record (the final field 55 and the card sequence number) is kept under its own store key
 * (KEY_ICC_BASE + slot, tagged with STAN and batch so a reused slot never hands stale data to another record): the
 * journal record stays small, the batch upload (0320) reads it with chipUploadData.
 *
 * Errors (TxnError, with `fallback` telling whether the stripe may now be used): E_NO_CHIP_READER, E_NO_CARD,
 * E_CARD_* (reader), E_EMV_* (kernel; E_EMV_USE_CONTACT: insert the card), E_USE_CHIP (a chip card swiped),
 * E_PIN_CANCELLED / E_PIN_TIMEOUT, and those of the online flow (E_HOST_TIMEOUT ... with the reversal's status).
 */
import { bytesToHex, hexToBytes } from "../core/bytes";
import type { StoreChange } from "../store/flash-log";
import type { ContactCard, ContactlessCard } from "../../hal/card/reader";
import { aidConfig, caPublicKey, chipFailureAllowsFallback, performContactTransaction, performContactlessTransaction, swipeDecision, UNIONPAY_AIDS } from "../emv/index";
import type { CandidateInfo, KernelCallbacks, KernelOutcome, OnlineRequest, OnlineResponse, TerminalConfig, TransactionInput, AidConfig, CaPublicKey } from "../emv/types";
import type { CardData, CupResponse, TxnKind } from "../cup/messages";
import { responseCode } from "../cup/response-codes";
import { civilFromDays } from "../receipt/slip";
import { RecordReader, RecordWriter } from "./record-codec";
import type { JournalRecord } from "./journal";
import { REASON_NOT_COMPLETED } from "./reversal";
import { offlineSale } from "./offline";
import { NEXT_STEP, TxnError, type ChipSummary, type Flows, type TxnContext, type TxnOutcome } from "./flows";

/** Store keys of the ICC data of journal slots (free range above the stored advices 0x2000 + slot). */
export const KEY_ICC_BASE = 0x3000;

/** EMV's "declined offline" authorisation response code (the card's AAC without the host). */
export const OFFLINE_DECLINED = "Z1";

export type ChipSlot = "contact" | "contactless";

export interface ChipReaders {
  contact?: ContactCard;
  contactless?: ContactlessCard;
}

/** A chip failure that lets the next swipe of the card through as a fallback (RAM only: it lasts one attempt). */
export interface FallbackState {
  armed: boolean;
  /** The PAN when the chip got as far as telling it (else any card's next swipe). */
  pan?: string;
}

/**
 * The simulator's test CA public key (RID A000000333, index 80, 1152 bits, e = 3; boards/sim/issuer/ca-keys.json):
 * public data, as a terminal's CA key list is. A real deployment replaces the list through TerminalOptions.emv
 * (the acquirer's parameter download) with the UnionPay CA keys.
 */
export const SIM_TEST_CA_KEYS: ReadonlyArray<{ rid: string; index: number; modulus: string; exponent: string; expiry: string }> = [
  {
    rid: "A000000333",
    index: 0x80,
    modulus:
      "E3492387D613AB09AD2A593302D149006B9B98D22A6494EBD68EB7BE939351B042BB6853E94ABC7F97A68271A5DB828D57213E7F20F3539D5ADD375083955D813ACB9F8BB91776F65EC349B5786711D44BE2C9480E4EAD41ED4241F0BE70DDF1F06C30E8A6B346C5F02EB92234A96DC42A564223D5E403AF7F6E48DFCA3731853C80C97B1917B4D8CAB19FD9D33DC5AF",
    exponent: "03",
    expiry: "301231",
  },
];

/**
 * Contactless reader limits of this profile (fen): over 1000.00 the card must be inserted; at or over 300.00 a CVM
 * (online PIN); over 200.00 an online cryptogram. Parameters of the acquirer: TerminalOptions.emv replaces them.
 */
export const DEFAULT_CONTACTLESS_LIMITS = { transactionLimit: 100000, cvmLimit: 30000, floorLimit: 20000 };

/** What may replace the defaults of the kernel's terminal configuration. */
export interface EmvSetup {
  aids?: AidConfig[];
  caKeys?: CaPublicKey[];
  capabilities?: Uint8Array;
  additionalCapabilities?: Uint8Array;
  terminalType?: number;
  exceptionFile?: string[];
}

/** The default AID list: UnionPay debit, credit (both with qPBOC limits) and quasi-credit (params.ts defaults). */
export function defaultAids(): AidConfig[] {
  return [
    aidConfig({ aid: UNIONPAY_AIDS.debit, contactless: DEFAULT_CONTACTLESS_LIMITS }),
    aidConfig({ aid: UNIONPAY_AIDS.credit, contactless: DEFAULT_CONTACTLESS_LIMITS }),
    aidConfig({ aid: UNIONPAY_AIDS.quasiCredit }),
  ];
}

function ascii(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) return undefined;
  }
  return s;
}

/** The kernel's terminal configuration from the terminal's parameters and the EMV setup. */
export function emvConfig(p: { terminalId: string; merchantId: string; merchantName: string }, serial: string, setup: EmvSetup = {}): TerminalConfig {
  const ifd = serial.length >= 8 ? serial.slice(-8) : (serial + "        ").slice(0, 8);
  return {
    terminalType: setup.terminalType ?? 0x22,
    // Manual, stripe, IC; enciphered PIN online, signature, no CVM (no offline PIN: the PED has no VERIFY path); SDA/DDA/CDA.
    capabilities: setup.capabilities ?? hexToBytes("E068C8"),
    additionalCapabilities: setup.additionalCapabilities ?? hexToBytes("6000F0A001"),
    countryCode: "156",
    ifdSerial: ifd,
    terminalId: p.terminalId || undefined,
    merchantId: p.merchantId || undefined,
    merchantName: ascii(p.merchantName) ?? undefined,
    aids: setup.aids ?? defaultAids(),
    caKeys: setup.caKeys ?? SIM_TEST_CA_KEYS.map(caPublicKey),
    exceptionFile: setup.exceptionFile,
  };
}

export interface ChipDeps {
  ctx: TxnContext;
  flows: Flows;
  readers: ChipReaders;
  config(): TerminalConfig;
  random(into: Uint8Array): void;
  fallback: FallbackState;
}

export interface ChipInput {
  kind?: "sale" | "balance" | "preAuth";
  /** Fen (ignored for a balance inquiry). */
  amount?: number;
  slot: ChipSlot;
  /** How long to wait for the card in the slot / field (default 60 s). */
  waitMs?: number;
  /** Cardholder choice among several applications (default: the first, by priority). */
  chooseApplication?(candidates: CandidateInfo[]): Promise<number | undefined>;
}

/** A chip-flow error; `fallback`: the stripe of this card may now be swiped (technical failure of the chip). */
export class ChipError extends TxnError {
  constructor(
    code: string,
    message: string,
    readonly fallback: boolean,
    record?: JournalRecord,
    reversal: "none" | "sent" | "pending" = "none",
  ) {
    super(code, message, record, reversal);
    this.name = "ChipError";
  }
}

function codeOf(e: unknown): string {
  const c = e !== null && typeof e === "object" ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : "E_UNKNOWN";
}

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** YYMMDD and HHMMSS in Beijing time (UTC+8) of ms since the epoch. */
export function emvDateTime(ms: number): { date: string; time: string } {
  const local = ms + 8 * 3600000;
  const days = Math.floor(local / 86400000);
  const c = civilFromDays(days);
  const sec = Math.floor((local - days * 86400000) / 1000);
  return { date: two(c.y % 100) + two(c.m) + two(c.d), time: two(Math.floor(sec / 3600)) + two(Math.floor(sec / 60) % 60) + two(sec % 60) };
}

/** Service code of a track 2 ("PAN=YYMMSSS..."), "" when it has none. */
export function serviceCodeOf(track2: string): string {
  let i = track2.indexOf("=");
  if (i < 0) i = track2.indexOf("D");
  return i >= 0 ? track2.substring(i + 5, i + 8) : "";
}

/**
 * Chip first (EMV Book 4 §11.1, profile): a swiped card whose service code starts with 2 or 6 is refused with
 * "请插卡" (E_USE_CHIP) on a terminal with a chip reader, unless the previous chip attempt (of this card, when its
 * PAN was read) failed technically: then it is a fallback (22 = 80x) and the fallback is used up.
 */
export function swipeEntry(card: CardData, fallback: FallbackState, hasChipReader: boolean): CardData {
  if (card.entryMode !== "swipe" || !card.track2) return card;
  const armed = fallback.armed && (fallback.pan === undefined || fallback.pan === card.pan);
  const d = swipeDecision(serviceCodeOf(card.track2), armed, hasChipReader);
  if (d === "use-chip") throw new ChipError("E_USE_CHIP", "请插卡 / a chip card: insert it (or tap it)", false);
  if (d === "fallback") {
    fallback.armed = false;
    fallback.pan = undefined;
    return { ...card, entryMode: "fallback" };
  }
  return card;
}

// ---- ICC data of a journal record ----------------------------------------------------------------------

/** The change that stores a record's ICC data (final field 55, card sequence number). */
export function iccChange(rec: JournalRecord, icc: Uint8Array, cardSequence: string | undefined): StoreChange {
  return { key: KEY_ICC_BASE + rec.slot, value: new RecordWriter(icc.length + 24).u8(1).u24(rec.stan).u24(rec.batch).str(cardSequence ?? "").bytes(icc).finish() };
}

/** Field 23 and 55 of a record for the batch upload (nothing for a swiped or keyed record). */
export function chipUploadData(ctx: TxnContext, rec: JournalRecord): { cardSequence?: string; icc?: Uint8Array } {
  if (rec.entryMode !== "chip" && rec.entryMode !== "contactless") return {};
  const b = ctx.store.get(KEY_ICC_BASE + rec.slot);
  if (!b) return {};
  try {
    const r = new RecordReader(b);
    if (r.u8() !== 1 || r.u24() !== rec.stan || r.u24() !== rec.batch) return {};
    const seq = r.str();
    const icc = r.bytes();
    return { cardSequence: seq || undefined, icc: icc.length ? icc : undefined };
  } catch {
    return {};
  }
}

// ---- the flow ------------------------------------------------------------------------------------------

function summary(o: KernelOutcome): ChipSummary {
  return {
    interface: o.interface,
    aid: bytesToHex(o.aid),
    label: o.label,
    cryptogram: o.cryptogram,
    reason: o.reason,
    online: o.online,
    tvr: bytesToHex(o.tvr),
    tsi: bytesToHex(o.tsi),
    signatureRequired: o.signatureRequired,
    scriptResults: bytesToHex(o.scriptResults),
  };
}

/** Field 23 (n3) of a two-digit PAN sequence number. */
function cardSequence(psn: string | undefined): string | undefined {
  return psn === undefined ? undefined : psn.length >= 3 ? psn.slice(-3) : psn.length === 2 ? "0" + psn : "00" + psn;
}

/** Powers / activates the card; a failure is a ChipError that says whether the stripe may follow. */
async function openCard(d: ChipDeps, slot: ChipSlot, waitMs: number): Promise<ContactCard | ContactlessCard> {
  const reader = slot === "contact" ? d.readers.contact : d.readers.contactless;
  if (!reader) throw new ChipError("E_NO_CHIP_READER", slot === "contact" ? "终端没有IC卡读卡器 / no contact chip reader" : "终端没有非接读卡器 / no contactless reader", false);
  await reader.waitForCard(waitMs);
  try {
    if (slot === "contact") await (reader as ContactCard).powerOn({ attempts: 2, timeoutMs: 1000 });
    else await (reader as ContactlessCard).activateCard();
  } catch (e) {
    const fb = slot === "contact" && chipFailureAllowsFallback(e);
    if (fb) {
      d.fallback.armed = true;
      d.fallback.pan = undefined;
    }
    throw new ChipError(codeOf(e), `${fb ? "IC卡读取失败，请刷卡 / the chip does not answer: swipe the card (fallback)" : "读卡失败 / the card could not be read"}: ${(e as Error).message}`, fb);
  }
  return reader;
}

/** Runs a chip or contactless transaction (see the file comment). */
export async function chipTransaction(d: ChipDeps, input: ChipInput): Promise<TxnOutcome> {
  const ctx = d.ctx;
  const flows = d.flows;
  const kind: TxnKind = input.kind ?? "sale";
  const amount = kind === "balance" ? 0 : input.amount ?? 0;
  if (kind !== "balance" && !(amount >= 1 && amount === Math.floor(amount))) throw new ChipError("E_TXN_AMOUNT", `金额无效 / amount must be a positive number of fen, got ${String(input.amount)}`, false);
  await flows.ready(kind);
  const reader = await openCard(d, input.slot, input.waitMs ?? 60000);
  const config = d.config();
  const stanHint = ctx.counters.peek();
  const dt = emvDateTime(ctx.now());
  const tx: TransactionInput = {
    amount,
    type: kind === "balance" ? 0x31 : kind === "preAuth" ? 0x03 : 0x00,
    currencyCode: "156",
    currencyExponent: 2,
    date: dt.date,
    time: dt.time,
    sequenceCounter: stanHint,
    // Only a sale may be approved offline by the card.
    forceOnline: kind !== "sale",
  };
  const entryMode = input.slot === "contact" ? "chip" : "contactless";
  let begun: { record: JournalRecord; request: ReturnType<Flows["begin"]>["request"] } | undefined;
  let answer: CupResponse | undefined;
  let onlineError: unknown;
  const params = ctx.params();
  const cb: KernelCallbacks = {
    random: (into) => d.random(into),
    chooseApplication: input.chooseApplication ?? (async () => 0),
    onlinePin: async (pan) => {
      const entry = ctx.pinpad.enterPin({ slot: ctx.keys.slots.pik, pan, minLength: 4, maxLength: params.pinMaxLength, timeoutMs: 60000 });
      ctx.emit({ kind: "pin", detail: pan.length + "" });
      const r = await entry;
      return r.status === "ok" ? { status: "ok", pinBlock: r.pinBlock } : { status: "bypass" };
    },
    goOnline: async (req: OnlineRequest): Promise<OnlineResponse | undefined> => {
      const card: CardData = { entryMode, pan: req.pan, expiry: req.expiry || undefined, track2: req.track2, cardSequence: cardSequence(req.panSequence), icc: req.field55 };
      begun = flows.begin(kind, { card, amount: kind === "balance" ? undefined : amount }, req.pinBlock);
      try {
        answer = await flows.send(begun);
      } catch (e) {
        // Failed before or after leaving (flows.failed reversed it when it may have arrived): the card decides
        // as "unable to go online"; the error is the outcome unless the request never left and the card approves.
        onlineError = e;
        return undefined;
      }
      const approved = answer.code === "00";
      // Approved but the card has not had its say: a power cut now reverses with 96 at the next boot.
      if (approved && TXN_REVERSIBLE(kind)) ctx.reversals.update(REASON_NOT_COMPLETED, 0);
      return { responseCode: answer.code.length === 2 ? answer.code : "  ", approved, field55: answer.icc, authCode: answer.authCode };
    },
    onEvent: (e) => ctx.emit({ kind: "card", detail: e }),
  };
  let o: KernelOutcome;
  try {
    o = input.slot === "contact" ? await performContactTransaction(reader, config, tx, cb) : await performContactlessTransaction(reader, config, tx, cb);
  } catch (e) {
    reader.powerOff();
    const code = codeOf(e);
    if (begun && answer) {
      // The card failed (removed, mute) after the host answered: an approval is reversed (96), a decline stands.
      if (answer.code === "00") return reverseAfterHost(d, begun.record, answer, code, undefined);
      return flows.finish(begun.record, answer, undefined);
    }
    if (onlineError) throw onlineError;
    const fb = chipFailureAllowsFallback(e) && input.slot === "contact";
    if (fb) {
      d.fallback.armed = true;
      d.fallback.pan = undefined;
    }
    if (code === "E_EMV_USE_CONTACT") throw new ChipError(code, "请插卡 / insert the card (contactless not possible for this card or amount)", false);
    throw new ChipError(code, `${fb ? "IC卡交易失败，可刷卡 / the chip failed: the stripe may be swiped" : "IC卡交易终止 / the chip transaction ended"}: ${(e as Error).message ?? String(e)}`, fb);
  }
  reader.powerOff();
  d.fallback.armed = false;
  const emv = summary(o);
  const seq = cardSequence(o.panSequence);
  if (begun && answer) {
    if (o.reversalRequired || (answer.code === "00" && o.result === "declined")) return reverseAfterHost(d, begun.record, answer, "E_CARD_DECLINED", emv);
    const out = await flows.finish(begun.record, answer, undefined, [iccChange(begun.record, o.finalField55, seq)]);
    out.emv = emv;
    return out;
  }
  if (onlineError) {
    const sent = onlineError instanceof TxnError ? onlineError.reversal !== "none" : true;
    if (sent || o.result !== "approved" || kind !== "sale") throw onlineError;
    ctx.log.warn(`chip: host unreachable, the card approved offline (Y3)`);
  }
  // Offline: the card's own decision.
  const card: CardData = { entryMode, pan: o.pan, expiry: o.expiry || undefined, cardSequence: seq, icc: o.finalField55 };
  if (o.result === "approved" && kind === "sale") {
    const out = await offlineSale(ctx, { card, amount, chipApproved: true });
    ctx.store.commit([iccChange(out.record, o.finalField55, seq)]);
    out.emv = emv;
    return out;
  }
  return offlineDecline(d, kind, card, amount, emv);
}

function TXN_REVERSIBLE(kind: TxnKind): boolean {
  return kind === "sale" || kind === "preAuth";
}

/** The host approved, the card did not complete (declined at the second GENERATE AC, or removed): reversal 96. */
async function reverseAfterHost(d: ChipDeps, rec: JournalRecord, resp: CupResponse, error: string, emv: ChipSummary | undefined): Promise<TxnOutcome> {
  const ctx = d.ctx;
  rec.responseCode = resp.code;
  rec.rrn = resp.rrn ?? "";
  rec.authCode = (resp.authCode ?? "").trim();
  rec.hostDate = resp.date ?? "";
  rec.hostTime = resp.time ?? "";
  rec.state = "declined";
  rec.error = error;
  if (!TXN_REVERSIBLE(rec.kind)) {
    ctx.journal.save(rec);
    throw new ChipError(error, "卡片拒绝 / the card declined", false, rec);
  }
  ctx.journal.save(rec);
  ctx.reversals.update(REASON_NOT_COMPLETED, 0);
  const done = await d.flows.flushReversal();
  const record = ctx.journal.get(rec.slot) ?? rec;
  if (error !== "E_CARD_DECLINED") throw new ChipError(error, `交易未完成，${done ? "已冲正" : "冲正待发"} / the card left before the transaction completed: ${done ? "reversed" : "reversal pending"}`, false, record, done ? "sent" : "pending");
  const rc = responseCode("06");
  return {
    status: "declined",
    kind: rec.kind,
    code: resp.code,
    text: "卡片拒绝交易" + (done ? "，已冲正" : "，冲正待发"),
    en: "declined by the card after the host's approval" + (done ? " (reversed)" : " (reversal pending)"),
    action: "decline",
    next: NEXT_STEP.decline,
    known: rc.known,
    record,
    reversal: done ? "sent" : "pending",
    emv: emv ? { ...emv, declinedByCard: true } : undefined,
  };
}

/** The card declined offline (AAC without the host): a declined journal record, nothing on the line. */
function offlineDecline(d: ChipDeps, kind: TxnKind, card: CardData, amount: number, emv: ChipSummary): TxnOutcome {
  const ctx = d.ctx;
  const stan = ctx.counters.peek();
  const rec = ctx.journal.create(kind);
  rec.stan = stan;
  rec.batch = ctx.counters.batch;
  rec.amount = kind === "balance" ? 0 : amount;
  rec.pan = card.pan;
  rec.expiry = card.expiry ?? "";
  rec.entryMode = card.entryMode;
  rec.operator = ctx.operators.current ? ctx.operators.current.no : "";
  rec.localTime = ctx.now();
  rec.state = "declined";
  rec.responseCode = OFFLINE_DECLINED;
  rec.error = "E_CARD_DECLINED";
  ctx.store.commit([ctx.counters.consumeChange(stan), ...ctx.journal.change(rec), iccChange(rec, card.icc ?? new Uint8Array(0), card.cardSequence)]);
  ctx.counters.consumed(stan);
  ctx.journal.applied(rec);
  ctx.emit({ kind: "offline", stan: String(stan), detail: `declined by card (${emv.reason})` });
  return {
    status: "declined",
    kind,
    code: OFFLINE_DECLINED,
    text: "卡片脱机拒绝",
    en: `declined offline by the card (${emv.reason})`,
    action: "decline",
    next: NEXT_STEP.decline,
    known: true,
    record: rec,
    reversal: "none",
    emv,
  };
}
