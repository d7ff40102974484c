/**
 * Financial messages (0100/0200/0220, spec/cup-8583.md §6.3–§6.9): balance inquiry, sale, void, refund, pre-auth,
 * pre-auth cancel, completion, completion void, offline sale advice. The terminal, MAC, batch and duplicate checks
 * ran before (processor.ts); here: the card (account, status, expiry), the PIN (field 52 under the PIK, format 0),
 * funds, the original transaction of follow-ups, and the ledger.
 */
import { parseTrack2 } from "../../../../firmware/core/track2.ts";
import type { Account } from "../accounts.ts";
import type { Fields } from "../codec.ts";
import { pinFromBlock, unhex } from "../keys.ts";
import type { LedgerEntry, TxnKind, TxnState } from "../ledger.ts";
import type { Answer, HostState, Request } from "../state.ts";
import { responseMti } from "../state.ts";
import { EmvIssuer } from "../../issuer/issuer.ts";
import { H, hex } from "../../issuer/crypto.ts";
import { flatten, parse } from "../../issuer/tlv.ts";

/**
 * The issuer's chip side (boards/sim/issuer, the test IMK the catalog cards are personalised from): the ARQC of a
 * request's field 55 is checked (card keys from the PAN and the PAN sequence number of field 23), a wrong one is
 * declined with 59 (卡片校验错, docs/cup-profile.md); every answer to a request with field 55 carries field 55 with
 * 91 (ARPC method 1 over the answer's field 39 as ARC) and, with an approval, the account's issuer scripts (71/72).
 */
export const EMV_ISSUER = new EmvIssuer();
/** Field 39 for an ARQC that does not verify. */
export const BAD_ARQC_CODE = "59";

/** PAN sequence number (two digits) of field 23 (n3), else of 5F34 in field 55, else 00. */
export function psnOf(req: Request): string | undefined {
  const f23 = req.f(23);
  return f23 ? f23.slice(-2) : undefined;
}

/** The final cryptogram of an advice or upload's field 55, checked with the issuer keys (undefined: no field 55). */
export function finalCryptogram(req: Request, pan: string | undefined): { tc: string; tcType: string; tcValid: boolean } | undefined {
  const f55 = req.f(55);
  if (!f55 || !pan) return undefined;
  try {
    const tags = flatten(parse(H(f55)));
    const v = EMV_ISSUER.verifyCryptogram(pan, H(f55), psnOf(req));
    return { tc: hex(tags.get(0x9f26) ?? new Uint8Array(0)), tcType: v.type, tcValid: v.valid };
  } catch {
    return { tc: "", tcType: "?", tcValid: false };
  }
}

/** 60.1 -> kind, the MTI it comes in and the processing code it must carry (§6.1). */
export const FINANCIAL_TYPES: Record<string, { kind: TxnKind; mti: string; processingCode: string }> = {
  "01": { kind: "balance", mti: "0200", processingCode: "310000" },
  "10": { kind: "preauth", mti: "0100", processingCode: "030000" },
  "11": { kind: "preauth-cancel", mti: "0100", processingCode: "200000" },
  "20": { kind: "completion", mti: "0200", processingCode: "000000" },
  "21": { kind: "completion-void", mti: "0200", processingCode: "200000" },
  "22": { kind: "sale", mti: "0200", processingCode: "000000" },
  "23": { kind: "void", mti: "0200", processingCode: "200000" },
  "25": { kind: "refund", mti: "0220", processingCode: "200000" },
  "30": { kind: "offline-sale", mti: "0220", processingCode: "000000" },
};

/** The card number of a request: field 2, else the PAN of track 2. "mismatch" when both are present and differ. */
export function panOf(f: (n: number) => string | undefined): string | undefined | "mismatch" {
  const p2 = f(2);
  let p35: string | undefined;
  const t2 = f(35);
  if (t2) {
    try {
      p35 = parseTrack2(t2).pan;
    } catch {
      p35 = undefined;
    }
  }
  if (p2 && p35 && p2 !== p35) return "mismatch";
  return p2 ?? p35;
}

class Txn {
  readonly fields: Fields;
  readonly kind: TxnKind;
  readonly rrn: string;
  constructor(
    readonly s: HostState,
    readonly req: Request,
    kind: TxnKind,
  ) {
    this.kind = kind;
    this.rrn = s.ledger.newRrn(req.time);
    const f = req.f;
    this.fields = {
      2: f(2),
      3: f(3),
      4: f(4),
      11: f(11),
      12: req.time,
      13: req.date,
      14: f(14),
      15: req.date,
      25: f(25),
      32: s.config.acquirerId,
      37: this.rrn,
      39: "00",
      41: f(41),
      42: f(42),
      44: s.config.issuerId.padEnd(11, " ") + s.config.acquirerId.padEnd(11, " "),
      49: f(49) ?? "156",
      60: f(60),
      61: f(61),
      63: "CUP",
    };
  }

  get amount(): number {
    return Number(this.req.f(4) ?? "0");
  }

  /** Records the entry and builds the answer. */
  finish(code: string, o: { pan?: string; amount?: number; state?: TxnState; authCode?: string; original?: LedgerEntry; note?: string; foreign?: boolean; extra?: Fields } = {}): Answer {
    const t = this.req.terminal!;
    const approved = code === "00";
    const f60 = this.req.m.f60;
    const e = this.s.ledger.add({
      terminalId: t.terminalId,
      merchantId: t.merchantId,
      batch: f60.batch ?? "",
      stan: this.req.f(11) ?? "",
      mti: this.req.m.mti,
      processingCode: this.req.f(3) ?? "",
      typeCode: f60.type ?? "",
      kind: this.kind,
      pan: o.pan,
      amount: o.amount ?? this.amount,
      rrn: this.rrn,
      authCode: approved ? o.authCode : undefined,
      responseCode: code,
      state: approved ? (o.state ?? "approved") : "declined",
      date: this.req.date,
      time: this.req.time,
      at: this.req.now,
      originalId: o.original?.id,
      foreign: o.foreign ?? false,
      note: o.note,
    });
    const fields: Fields = { ...this.fields, 39: code, ...(o.extra ?? {}) };
    if (approved && o.authCode) fields[38] = o.authCode;
    return { mti: responseMti(this.req.m.mti), fields, mak: t.keys?.mak, note: `${this.kind} #${e.id} ${e.state}${o.note ? ": " + o.note : ""}` };
  }

  decline(code: string, note: string, o: { pan?: string; original?: LedgerEntry } = {}): Answer {
    return this.finish(code, { ...o, note });
  }
}

/** Card checks (status, expiry), then the PIN if field 52 is present. A field 39 or undefined. */
function cardAndPin(s: HostState, req: Request, acc: Account, pan: string): { code: string; note: string } | undefined {
  const c = s.accounts.cardCheck(acc, req.yymm);
  if (c) return { code: c, note: `card ${acc.status === "ok" ? "expired " + acc.expiry : acc.status}` };
  const block = req.f(52);
  let pin: string | undefined;
  if (block) {
    const pik = req.terminal!.keys!.pik;
    try {
      pin = pinFromBlock(pik, unhex(block), pan);
    } catch (e) {
      return { code: "99", note: `PIN block: ${(e as { code?: string }).code ?? String(e)}` };
    }
  }
  const p = s.accounts.checkPin(acc, pin);
  if (p) return { code: p, note: p === "55" ? (pin === undefined ? "PIN required" : `wrong PIN (${acc.pinTries} of ${acc.pinTryLimit})`) : "PIN tries exceeded" };
  return undefined;
}

/** The card of a request that starts a transaction (balance, sale, pre-auth, offline): account or a decline. */
function cardOf(s: HostState, tx: Txn): { pan: string; acc: Account } | Answer {
  const pan = panOf(tx.req.f);
  if (pan === "mismatch") return tx.decline("14", "field 2 and track 2 disagree");
  if (!pan) return tx.decline("30", "no card number (field 2 or 35)");
  const acc = s.accounts.get(pan);
  if (!acc) return tx.decline("14", "no such card", { pan });
  return { pan, acc };
}

function isAnswer(v: unknown): v is Answer {
  return typeof v === "object" && v !== null && "mti" in v;
}

/** The original of a follow-up: by 61 (batch + trace, when not zeros), else by RRN (37), else a pre-auth by code (38). */
function findOriginal(s: HostState, req: Request, kinds: readonly TxnKind[], byAuthCode: boolean): LedgerEntry | undefined {
  const t = req.terminal!;
  const f61 = req.m.f61;
  const ok = (e: LedgerEntry | undefined) => (e && kinds.includes(e.kind) && e.merchantId === t.merchantId ? e : undefined);
  if (f61.batch && f61.trace && !(f61.batch === "000000" && f61.trace === "000000")) {
    const e = ok(s.ledger.byStan(t.terminalId, f61.batch, f61.trace));
    if (e) return e;
  }
  const rrn = req.f(37);
  if (rrn) {
    const e = ok(s.ledger.byRrn(rrn));
    if (e) return e;
  }
  const code = req.f(38);
  if (byAuthCode && code) return ok(s.ledger.preAuthByCode(t.merchantId, code));
  return undefined;
}

/** The date in 61.3 (when given and not 0000) must be the original's. */
function dateMatches(req: Request, e: LedgerEntry): boolean {
  const d = req.m.f61.date;
  return !d || d === "0000" || d === e.date;
}

export function financial(s: HostState, req: Request, kind: TxnKind): Answer {
  const tx = new Txn(s, req, kind);
  if (req.scripted) {
    const pan = panOf(req.f);
    return tx.finish(req.scripted, { pan: pan === "mismatch" ? undefined : pan, note: "scripted answer" });
  }
  if (req.f(55) && (kind === "balance" || kind === "sale" || kind === "preauth")) return chip(s, tx);
  switch (kind) {
    case "balance":
      return balance(s, tx);
    case "sale":
    case "preauth":
      return saleOrPreAuth(s, tx);
    case "void":
    case "completion-void":
      return voidOf(s, tx);
    case "preauth-cancel":
      return preAuthCancel(s, tx);
    case "completion":
      return completion(s, tx);
    case "refund":
      return refund(s, tx);
    case "offline-sale":
      return offlineSale(s, tx);
  }
}

/** A chip request (field 55): the ARQC first (59 when wrong), then the usual checks; field 55 in every answer. */
function chip(s: HostState, tx: Txn): Answer {
  const c = cardOf(s, tx);
  if (isAnswer(c)) return c;
  const f55 = H(tx.req.f(55)!);
  let valid = false;
  let arqc = "";
  try {
    const v = EMV_ISSUER.verifyCryptogram(c.pan, f55, psnOf(tx.req));
    valid = v.valid && v.type === "ARQC";
    arqc = hex(flatten(parse(f55)).get(0x9f26) ?? new Uint8Array(0));
  } catch {
    valid = false;
  }
  const a = !valid ? tx.decline(BAD_ARQC_CODE, "ARQC does not verify", { pan: c.pan }) : tx.kind === "balance" ? balance(s, tx) : saleOrPreAuth(s, tx);
  const code = String(a.fields[39] ?? "96");
  const entry = s.ledger.byStan(tx.req.terminal!.terminalId, tx.req.m.f60.batch ?? "", tx.req.f(11) ?? "");
  if (entry) entry.emv = { arqc, arqcValid: valid, field55: tx.req.f(55), field22: tx.req.f(22), field23: tx.req.f(23), track2: tx.req.f(35) };
  try {
    const r = EMV_ISSUER.authorize({ pan: c.pan, psn: psnOf(tx.req), field55: f55, responseCode: code, scripts: code === "00" ? c.acc.emv?.scripts : undefined, corruptArpc: c.acc.emv?.corruptArpc });
    a.fields[55] = hex(r.field55);
  } catch {
    // a field 55 the issuer cannot read: the answer goes without issuer data
  }
  a.note = `${a.note ?? ""} (chip: ARQC ${valid ? "ok" : "BAD"})`;
  return a;
}

function balance(s: HostState, tx: Txn): Answer {
  const c = cardOf(s, tx);
  if (isAnswer(c)) return c;
  const bad = cardAndPin(s, tx.req, c.acc, c.pan);
  if (bad) return tx.decline(bad.code, bad.note, { pan: c.pan });
  const avail = s.accounts.available(c.acc);
  const f54 = c.acc.accountType + "02" + "156" + (avail >= 0 ? "C" : "D") + String(Math.abs(avail)).padStart(12, "0");
  return tx.finish("00", { pan: c.pan, amount: 0, foreign: c.acc.foreign, extra: { 54: f54 } });
}

function saleOrPreAuth(s: HostState, tx: Txn): Answer {
  const c = cardOf(s, tx);
  if (isAnswer(c)) return c;
  const amount = tx.amount;
  if (!(amount > 0)) return tx.decline("13", "amount must be above zero", { pan: c.pan });
  const bad = cardAndPin(s, tx.req, c.acc, c.pan);
  if (bad) return tx.decline(bad.code, bad.note, { pan: c.pan });
  if (s.accounts.available(c.acc) < amount) return tx.decline("51", `available ${s.accounts.available(c.acc)} < ${amount}`, { pan: c.pan });
  if (tx.kind === "sale") c.acc.balance -= amount;
  else c.acc.held += amount;
  return tx.finish("00", { pan: c.pan, authCode: s.ledger.newAuthCode(), foreign: c.acc.foreign });
}

/** The presented card (if any) must be the original's. */
function sameCard(tx: Txn, orig: LedgerEntry): boolean {
  const pan = panOf(tx.req.f);
  return pan === undefined || pan === orig.pan;
}

/** PIN check on a follow-up that carries field 52 (against the original card's account). */
function followUpPin(s: HostState, tx: Txn, orig: LedgerEntry): { code: string; note: string } | undefined {
  if (!tx.req.f(52) || !orig.pan) return undefined;
  const acc = s.accounts.get(orig.pan);
  if (!acc) return undefined;
  return cardAndPin(s, tx.req, acc, orig.pan);
}

function voidOf(s: HostState, tx: Txn): Answer {
  const req = tx.req;
  const t = req.terminal!;
  const target: TxnKind = tx.kind === "void" ? "sale" : "completion";
  const orig = findOriginal(s, req, [target], false);
  if (!orig || orig.state === "declined") return tx.decline("25", `original ${target} not found`);
  const o = { pan: orig.pan, original: orig };
  if (orig.terminalId !== t.terminalId || orig.batch !== t.openBatch) return tx.decline("12", `original is not in the open batch ${t.openBatch}`, o);
  if (orig.state !== "approved" || orig.refundedAmount > 0) return tx.decline("12", `original is ${orig.state}${orig.refundedAmount ? " (refunded)" : ""}`, o);
  if (!sameCard(tx, orig)) return tx.decline("14", "not the original card", o);
  if (tx.amount !== orig.amount) return tx.decline("64", `amount ${tx.amount} is not the original ${orig.amount}`, o);
  const bad = followUpPin(s, tx, orig);
  if (bad) return tx.decline(bad.code, bad.note, o);
  const acc = orig.pan ? s.accounts.get(orig.pan) : undefined;
  if (acc) acc.balance += orig.amount;
  orig.state = "voided";
  if (tx.kind === "completion-void" && orig.originalId) {
    const pre = s.ledger.get(orig.originalId)!;
    pre.state = "approved";
    if (acc) acc.held += pre.amount;
  }
  return tx.finish("00", { ...o, amount: orig.amount, authCode: orig.authCode, foreign: orig.foreign });
}

function preAuthCancel(s: HostState, tx: Txn): Answer {
  const pre = findOriginal(s, tx.req, ["preauth"], true);
  if (!pre || pre.state === "declined" || !dateMatches(tx.req, pre)) return tx.decline("25", "pre-auth not found");
  const o = { pan: pre.pan, original: pre };
  if (pre.state !== "approved") return tx.decline("12", `pre-auth is ${pre.state}`, o);
  if (!sameCard(tx, pre)) return tx.decline("14", "not the pre-auth's card", o);
  if (tx.amount !== pre.amount) return tx.decline("64", `amount ${tx.amount} is not the pre-auth's ${pre.amount}`, o);
  const bad = followUpPin(s, tx, pre);
  if (bad) return tx.decline(bad.code, bad.note, o);
  const acc = pre.pan ? s.accounts.get(pre.pan) : undefined;
  if (acc) acc.held -= pre.amount;
  pre.state = "voided";
  return tx.finish("00", { ...o, amount: pre.amount, authCode: pre.authCode, foreign: pre.foreign });
}

function completion(s: HostState, tx: Txn): Answer {
  const pre = findOriginal(s, tx.req, ["preauth"], true);
  if (!pre || pre.state === "declined" || !dateMatches(tx.req, pre)) return tx.decline("25", "pre-auth not found");
  const o = { pan: pre.pan, original: pre };
  if (pre.state !== "approved") return tx.decline("12", `pre-auth is ${pre.state}`, o);
  if (!sameCard(tx, pre)) return tx.decline("14", "not the pre-auth's card", o);
  const amount = tx.amount;
  const tol = s.config.completionTolerancePercent;
  if (!(amount > 0) || amount * 100 > pre.amount * (100 + tol)) return tx.decline("13", `completion ${amount} above ${100 + tol}% of the pre-auth ${pre.amount}`, o);
  const bad = followUpPin(s, tx, pre);
  if (bad) return tx.decline(bad.code, bad.note, o);
  const acc = pre.pan ? s.accounts.get(pre.pan) : undefined;
  if (acc) {
    if (acc.balance - (acc.held - pre.amount) < amount) return tx.decline("51", "insufficient funds for the completion", o);
    acc.held -= pre.amount;
    acc.balance -= amount;
  }
  pre.state = "completed";
  return tx.finish("00", { ...o, amount, authCode: pre.authCode, foreign: pre.foreign });
}

function refund(s: HostState, tx: Txn): Answer {
  const orig = findOriginal(s, tx.req, ["sale", "completion", "offline-sale"], false);
  if (!orig || orig.state === "declined" || !dateMatches(tx.req, orig)) return tx.decline("25", "original not found");
  const o = { pan: orig.pan, original: orig };
  if (orig.state !== "approved" && orig.state !== "offline-advised") return tx.decline("12", `original is ${orig.state}`, o);
  if (!sameCard(tx, orig)) return tx.decline("14", "not the original card", o);
  const left = orig.amount - orig.refundedAmount;
  if (!(tx.amount > 0) || tx.amount > left) return tx.decline("13", `refund ${tx.amount} above what is left (${left})`, o);
  const bad = followUpPin(s, tx, orig);
  if (bad) return tx.decline(bad.code, bad.note, o);
  const acc = orig.pan ? s.accounts.get(orig.pan) : undefined;
  if (acc) acc.balance += tx.amount;
  orig.refundedAmount += tx.amount;
  if (orig.refundedAmount === orig.amount) orig.state = "refunded";
  return tx.finish("00", { ...o, authCode: s.ledger.newAuthCode(), foreign: orig.foreign });
}

function offlineSale(s: HostState, tx: Txn): Answer {
  const c = cardOf(s, tx);
  if (isAnswer(c)) return c;
  if (!(tx.amount > 0)) return tx.decline("13", "amount must be above zero", { pan: c.pan });
  c.acc.balance -= tx.amount;
  const a = tx.finish("00", { pan: c.pan, state: "offline-advised", authCode: tx.req.f(38) ?? s.ledger.newAuthCode(), foreign: c.acc.foreign });
  // A chip's offline approval: its TC travels in the advice's field 55.
  const tc = finalCryptogram(tx.req, c.pan);
  const entry = tc ? s.ledger.byStan(tx.req.terminal!.terminalId, tx.req.m.f60.batch ?? "", tx.req.f(11) ?? "") : undefined;
  if (entry && tc) entry.emv = { ...entry.emv, ...tc };
  return a;
}
