/**
 * The host's ledger per terminal and batch: every transaction it answered (state approved, declined, reversed,
 * voided, refunded, completed, offline-advised), with STAN, RRN (12 characters, unique host-wide), auth code,
 * amount; the reversals it received; per batch the settlement (terminal's and host's totals, result) and the
 * batch upload; and the stored answers that make a re-sent request get the same response again.
 */
import { maskPan } from "../../../firmware/core/luhn.ts";
import type { Fields } from "./codec.ts";

export type TxnKind = "balance" | "sale" | "void" | "refund" | "preauth" | "preauth-cancel" | "completion" | "completion-void" | "offline-sale";
export type TxnState = "approved" | "declined" | "reversed" | "voided" | "refunded" | "completed" | "offline-advised";

export interface LedgerEntry {
  id: number;
  terminalId: string;
  merchantId: string;
  batch: string;
  stan: string;
  mti: string;
  processingCode: string;
  /** 60.1 */
  typeCode: string;
  kind: TxnKind;
  pan?: string;
  /** In fen. */
  amount: number;
  rrn: string;
  authCode?: string;
  responseCode: string;
  state: TxnState;
  /** Host date MMDD and time hhmmss of the answer; ms timestamp. */
  date: string;
  time: string;
  at: number;
  /** The transaction this one acts on (void, refund, completion, cancel ...). */
  originalId?: number;
  /** Refunded so far (sales, completions, offline sales). */
  refundedAmount: number;
  /** 外卡 (settlement's foreign half). */
  foreign: boolean;
  /** Set when a reversal was applied: its reason (field 39 of the 0400). */
  reversal?: { reason: string; at: number };
  /** Why a decline, for humans (the response code says it for the terminal). */
  note?: string;
  /**
   * Chip transactions: the ARQC of the request (and whether it verified with the issuer keys), the final
   * cryptogram (TC / AAC) received later in the offline advice or the batch upload's field 55, and whether it verified.
   */
  emv?: { arqc?: string; arqcValid?: boolean; tc?: string; tcType?: string; tcValid?: boolean; field55?: string; field22?: string; field23?: string; track2?: string };
}

/** Settlement totals (one half of field 48). */
export interface Totals {
  debitAmount: number;
  debitCount: number;
  creditAmount: number;
  creditCount: number;
}
export interface BatchTotals {
  domestic: Totals;
  foreign: Totals;
}

export interface UploadDetail {
  stan: string;
  processingCode: string;
  typeCode: string;
  amount: number;
  pan?: string;
  rrn?: string;
  authCode?: string;
  /** The ledger entry with that STAN in the batch, if the host has one. */
  entryId?: number;
  /** debit / credit / not counted. */
  side: "debit" | "credit" | "none";
  foreign: boolean;
}

export interface BatchRecord {
  terminalId: string;
  batch: string;
  settlement?: {
    terminalTotals: BatchTotals;
    hostTotals: BatchTotals;
    /** Result digits (domestic, foreign): 1 balanced, 2 not balanced, 3 error. */
    result: [string, string];
    at: number;
    count: number;
    /** Set when a settlement sent again after a balanced batch upload was compared with the uploaded detail. */
    reconciledByUpload?: boolean;
  };
  upload: {
    details: Map<string, UploadDetail>;
    ended?: {
      code: string;
      declaredCount: number;
      uploadedTotals: BatchTotals;
      result: [string, string];
      /** Uploaded STANs the host has no entry for; host entries counted in its totals that were not uploaded. */
      unknown: string[];
      missing: string[];
      at: number;
    };
  };
}

export interface ReversalRecord {
  terminalId: string;
  batch: string;
  stan: string;
  typeCode: string;
  reason: string;
  /** applied: the original was reversed now; unknown: no such original; nothing: the original was declined; refused: not reversible in its state. (A re-sent reversal is answered from the stored answer and not recorded again.) */
  outcome: "applied" | "unknown" | "nothing" | "refused";
  responseCode: string;
  entryId?: number;
  at: number;
}

/** A stored answer: the same request again gets it again (packed anew, MAC under the current MAK). */
export interface StoredAnswer {
  content: string;
  mti: string;
  fields: Fields;
  mac: boolean;
}

export function emptyTotals(): BatchTotals {
  return { domestic: { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0 }, foreign: { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0 } };
}

/** Which side of settlement a kind counts on (docs/cup-profile.md): debit = sales, completions, offline sales; credit = voids, refunds, completion voids. */
export function sideOf(kind: TxnKind): "debit" | "credit" | "none" {
  switch (kind) {
    case "sale":
    case "completion":
    case "offline-sale":
      return "debit";
    case "void":
    case "refund":
    case "completion-void":
      return "credit";
    default:
      return "none";
  }
}

export function addTo(t: BatchTotals, side: "debit" | "credit" | "none", foreign: boolean, amount: number): void {
  const half = foreign ? t.foreign : t.domestic;
  if (side === "debit") {
    half.debitAmount += amount;
    half.debitCount++;
  } else if (side === "credit") {
    half.creditAmount += amount;
    half.creditCount++;
  }
}

function sameHalf(a: Totals, b: Totals): boolean {
  return a.debitAmount === b.debitAmount && a.debitCount === b.debitCount && a.creditAmount === b.creditAmount && a.creditCount === b.creditCount;
}

export function compareTotals(host: BatchTotals, terminal: BatchTotals): [string, string] {
  return [sameHalf(host.domestic, terminal.domestic) ? "1" : "2", sameHalf(host.foreign, terminal.foreign) ? "1" : "2"];
}

/** Field 48 (62 digits): per half debit amount n12, debit count n3, credit amount n12, credit count n3, result n1. */
export function formatField48(t: BatchTotals, result: [string, string]): string {
  const half = (h: Totals, r: string) =>
    String(h.debitAmount).padStart(12, "0") + String(h.debitCount % 1000).padStart(3, "0") + String(h.creditAmount).padStart(12, "0") + String(h.creditCount % 1000).padStart(3, "0") + r;
  return half(t.domestic, result[0]) + half(t.foreign, result[1]);
}

/** Parses field 48 of a 0500: 62 digits, or 31 (domestic only). Undefined when malformed. */
export function parseField48(s: string): BatchTotals | undefined {
  if (!/^\d+$/.test(s) || (s.length !== 62 && s.length !== 31)) return undefined;
  const half = (p: number): Totals => ({
    debitAmount: Number(s.substring(p, p + 12)),
    debitCount: Number(s.substring(p + 12, p + 15)),
    creditAmount: Number(s.substring(p + 15, p + 27)),
    creditCount: Number(s.substring(p + 27, p + 30)),
  });
  return { domestic: half(0), foreign: s.length === 62 ? half(31) : { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0 } };
}

export class Ledger {
  private readonly list: LedgerEntry[] = [];
  private readonly rrns = new Set<string>();
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly batches = new Map<string, BatchRecord>();
  readonly reversals: ReversalRecord[] = [];
  private rrnSeq = 0;
  private authSeq = 0;

  // ---- numbers ---------------------------------------------------------------------------------

  /** A new RRN: hhmmss + a 6-digit host-wide sequence; unique within the host's life. */
  newRrn(time: string): string {
    for (;;) {
      this.rrnSeq = (this.rrnSeq % 999999) + 1;
      const rrn = time + String(this.rrnSeq).padStart(6, "0");
      if (!this.rrns.has(rrn)) {
        this.rrns.add(rrn);
        return rrn;
      }
    }
  }

  newAuthCode(): string {
    this.authSeq = (this.authSeq % 999999) + 1;
    return String(this.authSeq).padStart(6, "0");
  }

  // ---- entries ---------------------------------------------------------------------------------

  add(e: Omit<LedgerEntry, "id" | "refundedAmount"> & { refundedAmount?: number }): LedgerEntry {
    const entry: LedgerEntry = { ...e, id: this.list.length + 1, refundedAmount: e.refundedAmount ?? 0 };
    this.list.push(entry);
    return entry;
  }

  get(id: number): LedgerEntry | undefined {
    return this.list[id - 1];
  }

  /** Entries, optionally filtered by terminal, batch, kind, state or PAN. */
  entries(filter: { terminalId?: string; batch?: string; kind?: TxnKind; state?: TxnState; pan?: string } = {}): LedgerEntry[] {
    return this.list.filter(
      (e) =>
        (filter.terminalId === undefined || e.terminalId === filter.terminalId) &&
        (filter.batch === undefined || e.batch === filter.batch) &&
        (filter.kind === undefined || e.kind === filter.kind) &&
        (filter.state === undefined || e.state === filter.state) &&
        (filter.pan === undefined || e.pan === filter.pan),
    );
  }

  /** The financial entry with that STAN in the terminal's batch (not a balance inquiry unless asked). */
  byStan(terminalId: string, batch: string, stan: string): LedgerEntry | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const e = this.list[i]!;
      if (e.terminalId === terminalId && e.batch === batch && e.stan === stan) return e;
    }
    return undefined;
  }

  byRrn(rrn: string): LedgerEntry | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.rrn === rrn) return this.list[i];
    return undefined;
  }

  /** The approved-or-later pre-auth with this auth code at this merchant (newest first). */
  preAuthByCode(merchantId: string, authCode: string): LedgerEntry | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const e = this.list[i]!;
      if (e.kind === "preauth" && e.merchantId === merchantId && e.authCode === authCode && e.state !== "declined") return e;
    }
    return undefined;
  }

  // ---- stored answers (duplicates) -------------------------------------------------------------

  answer(key: string): StoredAnswer | undefined {
    return this.answers.get(key);
  }

  storeAnswer(key: string, a: StoredAnswer): void {
    this.answers.set(key, a);
  }

  // ---- batches ---------------------------------------------------------------------------------

  batch(terminalId: string, batch: string): BatchRecord {
    const key = `${terminalId}|${batch}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { terminalId, batch, upload: { details: new Map() } };
      this.batches.set(key, b);
    }
    return b;
  }

  batchRecords(terminalId?: string): BatchRecord[] {
    return [...this.batches.values()].filter((b) => terminalId === undefined || b.terminalId === terminalId);
  }

  /** The host's own settlement totals of a batch: approved-or-later entries; reversed and declined excluded. */
  totals(terminalId: string, batch: string): BatchTotals {
    const t = emptyTotals();
    for (const e of this.list) {
      if (e.terminalId !== terminalId || e.batch !== batch || e.state === "declined" || e.state === "reversed") continue;
      addTo(t, sideOf(e.kind), e.foreign, e.amount);
    }
    return t;
  }

  // ---- dumps -----------------------------------------------------------------------------------

  /** Entries as JSON-able objects with PANs masked. */
  dump(filter?: Parameters<Ledger["entries"]>[0]): Array<Omit<LedgerEntry, "pan"> & { pan?: string }> {
    return this.entries(filter).map((e) => ({ ...e, pan: e.pan ? maskPan(e.pan) : undefined }));
  }

  /** One line per entry, for logs and the interactive simulator. */
  format(filter?: Parameters<Ledger["entries"]>[0]): string {
    return this.entries(filter)
      .map(
        (e) =>
          `#${e.id} ${e.terminalId} batch ${e.batch} trace ${e.stan} ${e.kind.padEnd(15)} ${(e.amount / 100).toFixed(2).padStart(10)} ` +
          `rrn ${e.rrn} auth ${e.authCode ?? "------"} rc ${e.responseCode} ${e.state}${e.pan ? " " + maskPan(e.pan) : ""}${e.originalId ? ` (of #${e.originalId})` : ""}`,
      )
      .join("\n");
  }
}
