/**
 * Builders and parsers for every message of the CUP POS dialect (/work/shared/spec/cup-8583.md §6, profile in
 * docs/cup-profile.md): sign-in / sign-out / echo / activation (08x0), balance, sale, void, refund, pre-auth,
 * pre-auth cancel, completion, completion void, offline advice (01x0 / 02x0), reversal (0400), settlement (0500),
 * batch upload detail and end (0320).
 *
 * A builder returns a `CupRequest`: the MTI and a field map (values as the codec takes them: digits, text,
 * bytes), whether it carries a MAC, and the STAN. `packRequest` frames it (LEN + TPDU + header + body) into a
 * caller's buffer and writes field 64 with the MAC function it is given (the PED's). Parsers read the parts of
 * responses that have a structure of their own: field 62 of the sign-in (working keys) and of the activation
 * (BER-TLV), field 54 (balance), field 48 (settlement totals).
 *
 * Errors: CoreError E_MSG_INPUT (a value the message cannot carry), E_MSG_FIELD62 (sign-in/activation key data
 * of the wrong size or missing), E_MSG_FIELD48, E_MSG_FIELD54, E_MSG_CODEC (a stored field map that does not
 * decode); the codec's E_8583_* pass through.
 */
import { CoreError } from "../core/errors";
import { Iso8583Message, Iso8583Packer, type FieldValue } from "../core/iso8583";
import { TlvMap, TlvWriter } from "../core/tlv";
import { BODY_OFFSET, writeFrameHead } from "./frame";
import { CUP_SPEC } from "./fields";

/** Field number -> value, as Iso8583Packer.pack takes it. */
export interface FieldMap {
  [field: number]: FieldValue | undefined;
}

export interface CupRequest {
  mti: string;
  fields: FieldMap;
  /** Field 64 is packed (placeholder) and filled with the MAC by packRequest. */
  mac: boolean;
  /** Field 11, six digits. */
  stan: string;
}

/** The terminal's identity on the wire. */
export interface Identity {
  terminalId: string;
  merchantId: string;
}

export interface RequestContext extends Identity {
  /** Trace number 1..999999. */
  stan: number;
  /** Batch number 0..999999. */
  batch: number;
}

/** How the card data was captured (field 22, first two digits; profile "Financial messages"). */
export type EntryMode = "swipe" | "manual" | "chip" | "contactless" | "fallback";

/**
 * Card data for a financial message. Magstripe and manual entry in this release; a chip kernel fills the same
 * object (entryMode "chip"/"contactless", track 2 equivalent, card sequence number, field 55 bytes).
 */
export interface CardData {
  entryMode: EntryMode;
  /** Primary account number (digits). */
  pan: string;
  /** YYMM. */
  expiry?: string;
  /** Track 2 as read ('=' or 'D' separator), without sentinels. */
  track2?: string;
  track3?: string;
  /** Card sequence number (chip), up to 3 digits. */
  cardSequence?: string;
  /** Field 55: BER-TLV ICC data (chip). */
  icc?: Uint8Array;
}

export type TxnKind = "balance" | "sale" | "void" | "refund" | "preAuth" | "preAuthCancel" | "completion" | "completionVoid" | "offlineSale";

export interface TxnDefinition {
  mti: string;
  /** Field 3; "" for none. */
  processingCode: string;
  /** Field 25. */
  condition: string;
  /** Field 60.1. */
  typeCode: string;
  /** Spec §6.1: reversed on timeout / link failure / bad response MAC. */
  reversible: boolean;
  /** 0220 advice: re-sent with the same STAN until answered (profile). */
  advice: boolean;
  /** Carries an amount (field 4). */
  amount: boolean;
}

/** Spec §6.1. */
export const TXN: { readonly [K in TxnKind]: TxnDefinition } = {
  balance: { mti: "0200", processingCode: "310000", condition: "00", typeCode: "01", reversible: false, advice: false, amount: false },
  sale: { mti: "0200", processingCode: "000000", condition: "00", typeCode: "22", reversible: true, advice: false, amount: true },
  void: { mti: "0200", processingCode: "200000", condition: "00", typeCode: "23", reversible: true, advice: false, amount: true },
  refund: { mti: "0220", processingCode: "200000", condition: "00", typeCode: "25", reversible: false, advice: true, amount: true },
  preAuth: { mti: "0100", processingCode: "030000", condition: "06", typeCode: "10", reversible: true, advice: false, amount: true },
  preAuthCancel: { mti: "0100", processingCode: "200000", condition: "06", typeCode: "11", reversible: true, advice: false, amount: true },
  completion: { mti: "0200", processingCode: "000000", condition: "06", typeCode: "20", reversible: true, advice: false, amount: true },
  completionVoid: { mti: "0200", processingCode: "200000", condition: "06", typeCode: "21", reversible: true, advice: false, amount: true },
  offlineSale: { mti: "0220", processingCode: "000000", condition: "00", typeCode: "30", reversible: false, advice: true, amount: true },
};

/** Network management codes (field 60.3; profile table). */
export const NET = {
  signInSingle: "001",
  signOut: "002",
  signInDouble: "003",
  signInDoubleTdk: "004",
  echo: "301",
  activation: "360",
  settlement: "201",
  batchUploadDetail: "201",
  batchUploadEndUnbalanced: "202",
  batchUploadEndBalanced: "207",
  financial: "000",
} as const;

export type SignInCode = "001" | "003" | "004";

const MAC_PLACEHOLDER = new Uint8Array(8);

function fail(message: string): never {
  throw new CoreError("E_MSG_INPUT", message);
}

function isDigits(s: string, min: number, max: number): boolean {
  if (typeof s !== "string" || s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** n zero-padded on the left to `width` digits; a value out of range -> E_MSG_INPUT. */
export function digits(n: number, width: number, what: string): string {
  if (!(n >= 0) || n !== Math.floor(n)) fail(`${what} must be a non-negative integer, got ${n}`);
  let s = String(n);
  if (s.length > width) fail(`${what} ${n} has more than ${width} digits`);
  while (s.length < width) s = "0" + s;
  return s;
}

/** Field 60: type code + batch + network code (60.1–60.3 only, spec §4). */
export function field60(typeCode: string, batch: number, network: string): string {
  return typeCode + digits(batch, 6, "batch") + network;
}

function base(ctx: RequestContext, mti: string, mac: boolean): CupRequest {
  const stan = digits(ctx.stan, 6, "STAN");
  if (ctx.stan < 1) fail("STAN must be 1..999999");
  return { mti, mac, stan, fields: { 11: stan, 41: ctx.terminalId, 42: ctx.merchantId } };
}

// ---- network management ----------------------------------------------------------------------------------

/** Operator code of field 63 (an3): "01" -> "001". */
export function operatorCode(operator: string): string {
  if (!isDigits(operator, 1, 3)) fail(`operator number ${operator} must be 1..3 digits`);
  return operator.length === 3 ? operator : operator.length === 2 ? "0" + operator : "00" + operator;
}

/** 签到 0800: 11, 41, 42, 60 (00 + batch + 001/003/004), 63 operator code. No MAC (spec §6.2). */
export function buildSignIn(ctx: RequestContext, code: SignInCode, operator: string): CupRequest {
  if (code !== "001" && code !== "003" && code !== "004") fail(`sign-in code ${String(code)}: 001, 003 or 004`);
  const r = base(ctx, "0800", false);
  r.fields[60] = field60("00", ctx.batch, code);
  r.fields[63] = operatorCode(operator);
  return r;
}

/** 签退 0820, 60.3 = 002. */
export function buildSignOut(ctx: RequestContext, operator: string): CupRequest {
  const r = base(ctx, "0820", false);
  r.fields[60] = field60("00", ctx.batch, NET.signOut);
  r.fields[63] = operatorCode(operator);
  return r;
}

/** 回响测试 0820, 60.3 = 301. */
export function buildEcho(ctx: RequestContext): CupRequest {
  const r = base(ctx, "0820", false);
  r.fields[60] = field60("00", ctx.batch, NET.echo);
  return r;
}

export interface ActivationInput {
  serialNumber: string;
  activationCode: string;
  firmwareVersion: string;
}

/**
 * 激活 0800, 60.3 = 360 (profile): 41 = 00000000, 42 = 15 spaces, 62 = BER-TLV DF01 serial number, DF02 activation
 * code, DF03 firmware version. No MAC.
 */
export function buildActivation(stan: number, input: ActivationInput): CupRequest {
  if (!isDigits(input.activationCode, 4, 32)) fail("activation code must be 4..32 digits");
  if (!(input.serialNumber.length >= 1 && input.serialNumber.length <= 64)) fail("serial number of 1..64 characters");
  const r = base({ stan, batch: 0, terminalId: "00000000", merchantId: "               " }, "0800", false);
  r.fields[60] = field60("00", 0, NET.activation);
  const w = new TlvWriter(96);
  w.putAscii(0xdf01, input.serialNumber).putAscii(0xdf02, input.activationCode).putAscii(0xdf03, input.firmwareVersion);
  r.fields[62] = w.toBytes();
  return r;
}

// ---- financial -----------------------------------------------------------------------------------------

/** The original transaction a follow-up refers to (void, refund, pre-auth cancel, completion, completion void). */
export interface OriginalRef {
  batch?: number;
  trace?: number;
  /** MMDD. */
  date?: string;
  rrn?: string;
  authCode?: string;
}

export interface FinancialInput {
  kind: TxnKind;
  /** Fen (分). */
  amount?: number;
  card: CardData;
  /** Encrypted format-0 PIN block from the PED. */
  pinBlock?: Uint8Array;
  /** Field 26 (maximum PIN length), default 6. */
  pinCapture?: number;
  /** Field 53 with a PIN: 2 = format 0 with PAN, 6 = double-length PIK (0 for single) (spec §7.2). */
  doubleLengthPik?: boolean;
  original?: OriginalRef;
  /** Field 63 (refund, offline advice). */
  operator?: string;
}

const ENTRY_PREFIX: { readonly [K in EntryMode]: string } = { swipe: "02", manual: "01", chip: "05", contactless: "07", fallback: "80" };

/** Field 22 (n3): entry mode + PIN capability digit (1 with PIN, 2 without). */
export function entryModeCode(mode: EntryMode, withPin: boolean): string {
  const p = ENTRY_PREFIX[mode];
  if (!p) fail(`entry mode ${String(mode)}`);
  return p + (withPin ? "1" : "2");
}

function checkCard(card: CardData): void {
  if (!card || !isDigits(card.pan, 12, 19)) fail("card PAN must be 12..19 digits");
  if (card.expiry !== undefined && !isDigits(card.expiry, 4, 4)) fail("expiry must be YYMM");
  if (card.track2 !== undefined && !(card.track2.length >= 16 && card.track2.length <= 37)) fail("track 2 of 16..37 characters");
  if (card.cardSequence !== undefined && !isDigits(card.cardSequence, 1, 3)) fail("card sequence number of 1..3 digits");
}

/** The card's fields as spec §6.4 wants them for its entry mode. */
function putCard(f: FieldMap, card: CardData, withPin: boolean, tracks: boolean): void {
  const m = card.entryMode;
  const keyed = m === "manual" || m === "chip" || m === "contactless" || !tracks || !card.track2;
  if (keyed) f[2] = card.pan;
  if (card.expiry && keyed) f[14] = card.expiry;
  f[22] = entryModeCode(m, withPin);
  if ((m === "chip" || m === "contactless") && card.cardSequence !== undefined) f[23] = card.cardSequence;
  if (tracks && card.track2) f[35] = card.track2.replace("=", "D");
  if (tracks && card.track3) f[36] = card.track3.replace("=", "D");
  if (card.icc && (m === "chip" || m === "contactless")) f[55] = card.icc;
}

/** Field 61 (§5): original batch + trace (+ date MMDD). */
export function field61(o: OriginalRef, withDate: boolean): string {
  let s = digits(o.batch ?? 0, 6, "original batch") + digits(o.trace ?? 0, 6, "original trace");
  if (withDate) {
    const d = o.date ?? "0000";
    if (!isDigits(d, 4, 4)) fail("original date must be MMDD");
    s += d;
  }
  return s;
}

/**
 * A financial request (0100 / 0200 / 0220) for `input.kind` (spec §6.3–§6.9): 2/14 (keyed or chip), 3, 4, 11, 22,
 * 23 (chip), 25, 26 + 52 + 53 (with PIN), 35/36 (tracks), 37/38/61 (follow-ups), 41, 42, 49, 55 (chip),
 * 60 = 60.1 + batch + 000, 63 (refund, advice), 64.
 */
export function buildFinancial(ctx: RequestContext, input: FinancialInput): CupRequest {
  const def = TXN[input.kind];
  if (!def) fail(`transaction kind ${String(input.kind)}`);
  checkCard(input.card);
  const r = base(ctx, def.mti, true);
  const f = r.fields;
  const withPin = input.pinBlock !== undefined;
  if (withPin && input.pinBlock!.length !== 8) fail("PIN block must be 8 bytes");
  // Advices are re-sent as they are: they carry no track data (never stored) and no PIN.
  putCard(f, input.card, withPin, !def.advice);
  f[3] = def.processingCode;
  if (def.amount) {
    const a = input.amount;
    if (!(typeof a === "number" && a >= 1 && a <= 999999999999 && a === Math.floor(a))) fail(`amount must be 1..999999999999 fen, got ${String(a)}`);
    f[4] = digits(a, 12, "amount");
  }
  f[25] = def.condition;
  if (withPin) {
    f[26] = digits(input.pinCapture ?? 6, 2, "PIN capture code");
    f[52] = input.pinBlock!;
    f[53] = input.doubleLengthPik === false ? "2000000000000000" : "2600000000000000";
  }
  f[49] = "156";
  const o = input.original;
  const k = input.kind;
  if (k === "void" || k === "completionVoid") {
    if (!o || o.trace === undefined || o.batch === undefined) fail(`${k} needs the original batch and trace`);
    if (o.rrn) f[37] = o.rrn;
    if (o.authCode) f[38] = o.authCode;
    f[61] = field61(o, false);
  } else if (k === "refund") {
    if (!o || !o.rrn) fail("refund needs the original reference number");
    f[37] = o.rrn;
    f[61] = field61(o, true);
  } else if (k === "preAuthCancel" || k === "completion") {
    if (!o || !o.authCode) fail(`${k} needs the pre-authorization code`);
    f[38] = o.authCode;
    f[61] = field61({ batch: 0, trace: 0, date: o.date }, true);
  }
  f[60] = field60(def.typeCode, ctx.batch, NET.financial);
  if (def.advice || k === "refund") f[63] = operatorCode(input.operator ?? "01");
  f[64] = MAC_PLACEHOLDER;
  return r;
}

export type SimpleInput = Omit<FinancialInput, "kind">;
export const buildBalance = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "balance" });
export const buildSale = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "sale" });
export const buildVoid = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "void" });
export const buildRefund = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "refund" });
export const buildPreAuth = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "preAuth" });
export const buildPreAuthCancel = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "preAuthCancel" });
export const buildCompletion = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "completion" });
export const buildCompletionVoid = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "completionVoid" });
export const buildOfflineAdvice = (ctx: RequestContext, i: SimpleInput) => buildFinancial(ctx, { ...i, kind: "offlineSale" });

/** Fields a reversal copies from its original (spec §6.7; 2 added from the card when the original had only tracks). */
const REVERSAL_COPY = [2, 3, 4, 11, 14, 22, 23, 25, 38, 41, 42, 49, 55, 60, 61];

/**
 * 冲正 0400 from the original request: the same 2, 3, 4, 11 (original trace), 14, 22, 23, 25, 38, 41, 42, 49, 55,
 * 60, 61, plus 39 = reason and 64. Tracks, PIN block and field 53 are not repeated; a swiped original's PAN is
 * carried in field 2 (`pan`) so the host can match it without track data.
 */
export function buildReversal(original: CupRequest | { mti: string; fields: FieldMap; stan: string }, reason: string, pan?: string): CupRequest {
  if (typeof reason !== "string" || reason.length !== 2) fail("reversal reason must be 2 characters");
  const f: FieldMap = {};
  for (let i = 0; i < REVERSAL_COPY.length; i++) {
    const n = REVERSAL_COPY[i]!;
    const v = original.fields[n];
    if (v !== undefined && v !== null) f[n] = v;
  }
  if (f[2] === undefined && pan !== undefined) f[2] = pan;
  f[39] = reason;
  f[64] = MAC_PLACEHOLDER;
  return { mti: "0400", mac: true, stan: original.stan, fields: f };
}

// ---- settlement and batch upload -------------------------------------------------------------------------

export interface TotalsPart {
  debitAmount: number;
  debitCount: number;
  creditAmount: number;
  creditCount: number;
  /** 0 sent by the terminal; the host's 1 balanced, 2 not balanced, 3 error. */
  result: number;
}

export interface SettlementTotals {
  domestic: TotalsPart;
  foreign: TotalsPart;
}

function totalsPart(t: TotalsPart): string {
  if (!(t.result >= 0 && t.result <= 9)) fail("settlement result digit 0..9");
  return digits(t.debitAmount, 12, "debit amount") + digits(t.debitCount, 3, "debit count") + digits(t.creditAmount, 12, "credit amount") + digits(t.creditCount, 3, "credit count") + String(t.result);
}

/** Field 48 of the settlement: 62 digits, domestic then foreign (spec §6.10). */
export function formatSettlementTotals(t: SettlementTotals): string {
  return totalsPart(t.domestic) + totalsPart(t.foreign);
}

function num(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

export function parseSettlementTotals(field48: string): SettlementTotals {
  if (!isDigits(field48, 62, 322)) throw new CoreError("E_MSG_FIELD48", `settlement totals need 62 digits, got ${field48.length}`);
  const part = (o: number): TotalsPart => ({ debitAmount: num(field48, o, 12), debitCount: num(field48, o + 12, 3), creditAmount: num(field48, o + 15, 12), creditCount: num(field48, o + 27, 3), result: num(field48, o + 30, 1) });
  return { domestic: part(0), foreign: part(31) };
}

/** 批结算 0500: 11, 41, 42, 48, 49, 60 = 00 + batch + 201, 63 operator, 64 (profile). */
export function buildSettlement(ctx: RequestContext, totals: SettlementTotals, operator: string): CupRequest {
  const r = base(ctx, "0500", true);
  r.fields[48] = formatSettlementTotals(totals);
  r.fields[49] = "156";
  r.fields[60] = field60("00", ctx.batch, NET.settlement);
  r.fields[63] = operatorCode(operator);
  r.fields[64] = MAC_PLACEHOLDER;
  return r;
}

export interface UploadDetail {
  pan: string;
  processingCode: string;
  amount: number;
  /** The transaction's own trace. */
  trace: number;
  entryMode: string;
  cardSequence?: string;
  icc?: Uint8Array;
  rrn?: string;
  authCode?: string;
}

/** 批上送 detail 0320: 2, 3, 4, 11 (the transaction's trace), 22, 23, 37, 38, 41, 42, 49, 55, 60 = 00 + batch + 201, 64. */
export function buildBatchUploadDetail(ctx: Identity & { batch: number }, d: UploadDetail): CupRequest {
  if (!isDigits(d.pan, 12, 19)) fail("upload detail PAN must be 12..19 digits");
  const r = base({ ...ctx, stan: d.trace }, "0320", true);
  const f = r.fields;
  f[2] = d.pan;
  f[3] = d.processingCode;
  f[4] = digits(d.amount, 12, "amount");
  f[22] = d.entryMode;
  if (d.cardSequence !== undefined) f[23] = d.cardSequence;
  if (d.rrn) f[37] = d.rrn;
  if (d.authCode) f[38] = d.authCode;
  f[49] = "156";
  if (d.icc) f[55] = d.icc;
  f[60] = field60("00", ctx.batch, NET.batchUploadDetail);
  f[64] = MAC_PLACEHOLDER;
  return r;
}

/** Batch upload end 0320: 11, 41, 42, 48 = uploaded count n4, 60 = 00 + batch + 202/207, 64. */
export function buildBatchUploadEnd(ctx: RequestContext, count: number, endCode: string): CupRequest {
  const r = base(ctx, "0320", true);
  r.fields[48] = digits(count, 4, "uploaded count");
  r.fields[60] = field60("00", ctx.batch, endCode);
  r.fields[64] = MAC_PLACEHOLDER;
  return r;
}

// ---- packing -------------------------------------------------------------------------------------------

export interface Framing {
  tpdu: Uint8Array;
  header: Uint8Array;
}

/** Computes the 8-byte field 64 over the MAC input (MTI .. the byte before field 64). */
export type MacFunction = (data: Uint8Array) => Uint8Array;

/**
 * Packs `req` as a whole frame into out[0..): returns its size. A request with `mac` needs `macOf` (the PED's
 * CUP ECB MAC under the MAK), which is given the MAC input and whose 8 bytes are written into field 64.
 */
export function packRequest(packer: Iso8583Packer, req: CupRequest, framing: Framing, out: Uint8Array, macOf?: MacFunction): number {
  const fields = req.fields;
  if (req.mac && fields[64] === undefined) fields[64] = MAC_PLACEHOLDER;
  if (!req.mac && fields[64] !== undefined) fields[64] = undefined;
  const end = packer.pack(req.mti, fields, out, BODY_OFFSET);
  if (req.mac) {
    if (!macOf) throw new CoreError("E_MSG_MAC", "this message needs a MAC and no MAC key is available");
    packer.writeMac(macOf(packer.macInput()));
  }
  writeFrameHead(out, 0, framing.tpdu, framing.header, end - BODY_OFFSET);
  return end;
}

let sharedPacker: Iso8583Packer | undefined;
/** One packer for the CUP spec per bundle (its compiled tables are shared). */
export function cupPacker(): Iso8583Packer {
  return (sharedPacker ??= new Iso8583Packer(CUP_SPEC));
}

let sharedMessage: Iso8583Message | undefined;
export function cupMessage(): Iso8583Message {
  return (sharedMessage ??= new Iso8583Message(cupPacker().compiled));
}

// ---- responses -----------------------------------------------------------------------------------------

/** What the terminal keeps of a financial (or management) response. */
export interface CupResponse {
  mti: string;
  stan: string;
  /** Field 39 as received ("" when absent). */
  code: string;
  rrn?: string;
  authCode?: string;
  /** hhmmss / MMDD of the host (12 / 13), settlement date MMDD (15). */
  time?: string;
  date?: string;
  settlementDate?: string;
  terminalId?: string;
  merchantId?: string;
  /** Field 60 digits. */
  field60?: string;
  acquirerId?: string;
  additional?: string;
  balance?: string;
  field48?: string;
  field62?: Uint8Array;
  /** Field 55 of a chip answer (issuer authentication data 91, scripts 71/72), copied. */
  icc?: Uint8Array;
  /** Field 63 text (ASCII-only view). */
  field63?: string;
  hasMac: boolean;
}

function textOf(m: Iso8583Message, n: number): string | undefined {
  if (!m.has(n)) return undefined;
  try {
    return m.getString(n);
  } catch {
    // GBK or other bytes where ASCII was expected: keep the printable part.
    const b = m.getBytes(n)!;
    let s = "";
    for (let i = 0; i < b.length; i++) if (b[i]! >= 32 && b[i]! < 127) s += String.fromCharCode(b[i]!);
    return s;
  }
}

/** Reads a parsed response into a plain object (copies what it keeps: the message buffer is reused). */
export function readResponse(m: Iso8583Message): CupResponse {
  const r: CupResponse = { mti: m.mti, stan: textOf(m, 11) ?? "", code: "", hasMac: m.has(64) };
  if (m.has(39)) {
    const b = m.getBytes(39)!;
    r.code = String.fromCharCode(b[0]!, b[1]!);
  }
  r.rrn = textOf(m, 37);
  r.authCode = textOf(m, 38);
  r.time = textOf(m, 12);
  r.date = textOf(m, 13);
  r.settlementDate = textOf(m, 15);
  r.terminalId = textOf(m, 41);
  r.merchantId = textOf(m, 42);
  r.field60 = textOf(m, 60);
  r.acquirerId = textOf(m, 32);
  r.additional = textOf(m, 44);
  r.balance = textOf(m, 54);
  r.field48 = textOf(m, 48);
  r.field63 = textOf(m, 63);
  if (m.has(62)) r.field62 = m.getBytes(62, true);
  if (m.has(55)) r.icc = m.getBytes(55, true);
  return r;
}

// ---- field 62: sign-in working keys --------------------------------------------------------------------

export interface EncryptedKey {
  /** Encrypted under the TMK (ECB). */
  cipher: Uint8Array;
  kcv: Uint8Array;
  algorithm: "des" | "3des";
}

export interface SignInKeys {
  code: SignInCode;
  pik: EncryptedKey;
  mak: EncryptedKey;
  tdk?: EncryptedKey;
}

/** Splits field 62 of a sign-in response by 60.3 (spec §6.2: 24 / 40 / 60 bytes). */
export function parseSignInKeys(field62: Uint8Array, code: SignInCode): SignInKeys {
  const need = code === "001" ? 24 : code === "003" ? 40 : code === "004" ? 60 : -1;
  if (need < 0) throw new CoreError("E_MSG_FIELD62", `sign-in code ${String(code)}`);
  if (!field62 || field62.length !== need) throw new CoreError("E_MSG_FIELD62", `field 62 of a ${code} sign-in must be ${need} bytes, got ${field62 ? field62.length : 0}`);
  const cut = (a: number, b: number) => field62.slice(a, b);
  if (code === "001") {
    return { code, pik: { cipher: cut(0, 8), kcv: cut(8, 12), algorithm: "des" }, mak: { cipher: cut(12, 20), kcv: cut(20, 24), algorithm: "des" } };
  }
  const keys: SignInKeys = { code, pik: { cipher: cut(0, 16), kcv: cut(16, 20), algorithm: "3des" }, mak: { cipher: cut(20, 28), kcv: cut(36, 40), algorithm: "des" } };
  if (code === "004") keys.tdk = { cipher: cut(40, 56), kcv: cut(56, 60), algorithm: "3des" };
  return keys;
}

// ---- field 62: activation ------------------------------------------------------------------------------

export interface ActivationGrant {
  tmkCipher: Uint8Array;
  tmkKcv: Uint8Array;
  merchantName?: string;
  /** "host:port" */
  hostAddress?: string;
}

/** Field 62 of an approved activation: DF10 TMK under the transport key, DF11 KCV, DF12 name (UTF-8), DF13 host. */
export function parseActivationGrant(field62: Uint8Array): ActivationGrant {
  const map = new TlvMap(8);
  try {
    map.parse(field62, 0, field62.length, false);
  } catch (e) {
    throw new CoreError("E_MSG_FIELD62", `activation data is not BER-TLV (${(e as { code?: string }).code ?? "error"})`);
  }
  const tmk = map.get(0xdf10);
  const kcv = map.get(0xdf11);
  if (!tmk || (tmk.length !== 16 && tmk.length !== 24)) throw new CoreError("E_MSG_FIELD62", "activation grant without a 16-byte TMK (DF10)");
  if (!kcv || kcv.length < 3 || kcv.length > 8) throw new CoreError("E_MSG_FIELD62", "activation grant without the TMK check value (DF11)");
  const name = map.get(0xdf12);
  const host = map.get(0xdf13);
  return { tmkCipher: tmk.slice(), tmkKcv: kcv.slice(0, 4), merchantName: name ? utf8Decode(name) : undefined, hostAddress: host ? latin1(host) : undefined };
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** UTF-8 bytes to a string (the engine has no TextDecoder); malformed sequences become U+FFFD. */
export function utf8Decode(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let cp = 0xfffd;
    let n = 1;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && i + 1 < b.length && (b[i + 1]! & 0xc0) === 0x80) {
      cp = ((c & 31) << 6) | (b[i + 1]! & 63);
      n = 2;
    } else if (c >= 0xe0 && c < 0xf0 && i + 2 < b.length && (b[i + 1]! & 0xc0) === 0x80 && (b[i + 2]! & 0xc0) === 0x80) {
      cp = ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
      n = 3;
      if (cp < 0x800) cp = 0xfffd;
    } else if (c >= 0xf0 && c < 0xf5 && i + 3 < b.length && (b[i + 1]! & 0xc0) === 0x80 && (b[i + 2]! & 0xc0) === 0x80 && (b[i + 3]! & 0xc0) === 0x80) {
      cp = ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63);
      n = 4;
    }
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}

/** A string to UTF-8 bytes. */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else {
      if (cp > 0x10ffff) cp = 0xfffd;
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
  }
  return new Uint8Array(out);
}

// ---- field 54: balance ---------------------------------------------------------------------------------

export interface Balance {
  accountType: string;
  amountType: string;
  currency: string;
  /** Fen; negative for a debit ('D') balance. */
  amount: number;
}

/** Field 54 (spec §6.3): account type n2 + amount type n2 + currency an3 + sign C/D + amount n12 (first 20 characters). */
export function parseBalance(field54: string): Balance {
  if (typeof field54 !== "string" || field54.length < 20) throw new CoreError("E_MSG_FIELD54", `balance needs 20 characters, got ${field54 ? field54.length : 0}`);
  const sign = field54.charAt(7);
  const amt = field54.substring(8, 20);
  if ((sign !== "C" && sign !== "D") || !isDigits(amt, 12, 12)) throw new CoreError("E_MSG_FIELD54", `balance "${field54.substring(0, 20)}" is not sign + 12 digits`);
  const v = num(amt, 0, 12);
  return { accountType: field54.substring(0, 2), amountType: field54.substring(2, 4), currency: field54.substring(4, 7), amount: sign === "D" ? -v : v };
}

// ---- a compact codec for field maps (stored reversals and advices) -------------------------------------

const K_STRING = 0;
const K_BYTES = 1;

/**
 * Field map -> bytes: per field, number (1 byte), kind (1: 0 string, 1 bytes), length (2, big-endian), data
 * (one byte per character for strings, which are ASCII here). Numbers are stored as their digits.
 */
export function encodeFields(fields: FieldMap): Uint8Array {
  let size = 0;
  for (const key in fields) {
    const v = fields[key as unknown as number];
    if (v === undefined || v === null) continue;
    size += 4 + (typeof v === "number" ? String(v).length : v.length);
  }
  const out = new Uint8Array(size);
  let p = 0;
  for (const key in fields) {
    let v = fields[key as unknown as number];
    if (v === undefined || v === null) continue;
    const n = +key;
    if (!(n >= 2 && n <= 64)) throw new CoreError("E_MSG_CODEC", `field ${key} cannot be stored`);
    if (typeof v === "number") v = String(v);
    out[p] = n;
    out[p + 1] = typeof v === "string" ? K_STRING : K_BYTES;
    out[p + 2] = v.length >> 8;
    out[p + 3] = v.length & 255;
    p += 4;
    if (typeof v === "string") {
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        if (c > 255) throw new CoreError("E_MSG_CODEC", `field ${n} has a character above one byte`);
        out[p++] = c;
      }
    } else {
      out.set(v, p);
      p += v.length;
    }
  }
  return out;
}

export function decodeFields(b: Uint8Array, off = 0, len = b.length - off): FieldMap {
  const f: FieldMap = {};
  let p = off;
  const end = off + len;
  while (p < end) {
    if (p + 4 > end) throw new CoreError("E_MSG_CODEC", "stored field map truncated");
    const n = b[p]!;
    const kind = b[p + 1]!;
    const l = (b[p + 2]! << 8) | b[p + 3]!;
    p += 4;
    if (p + l > end || !(n >= 2 && n <= 64) || kind > 1) throw new CoreError("E_MSG_CODEC", `stored field ${n} malformed`);
    if (kind === K_STRING) {
      let s = "";
      for (let i = 0; i < l; i++) s += String.fromCharCode(b[p + i]!);
      f[n] = s;
    } else f[n] = b.slice(p, p + l);
    p += l;
  }
  return f;
}
