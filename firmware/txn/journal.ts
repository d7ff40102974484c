/**
 * The transaction journal (交易流水): every transaction of the open batch with its state, power-fail safe in the
 * store, one record per slot (key 0x1000 + slot), in a small binary layout (record-codec.ts; about 90–130 bytes a
 * record). RAM holds only a typed-array index per slot (sequence, state, kind, STAN, batch: 14 bytes a slot); a
 * record is read from flash when it is needed.
 *
 * States: pending (the request is about to go / has gone, no final answer yet), approved, declined, failed (never
 * reached the host), reversed (a reversal was answered), voided (an approved sale / completion that a void or
 * completion void cancelled), uploaded (sent in a batch upload). Records change state only through `change()` +
 * the caller's atomic commit (with the reversal record, the counters, the original's state), so flash never
 * holds half a transaction.
 *
 * The PAN never rests in clear (PCI DSS 3.4): a record keeps the masked PAN (first 6 / last 4) and the PAN sealed by
 * the PAN vault (pan-vault.ts: CTR under a PED-only key). change() seals a clear `pan` and leaves the record in RAM
 * masked too (what the slips, the agent and the reports see); revealPan() opens it for the messages that need it.
 * Records of format 1 (clear PAN) are still read and are rewritten sealed when the journal opens with a vault.
 *
 * Errors: E_JOURNAL_FULL (no free slot: settle the batch), E_JOURNAL_RECORD (a record that does not decode),
 * E_PAN_KEY_CHANGED / E_PAN_NOT_STORED from revealPan() (the card must be presented again).
 */
import { CoreError } from "../core/errors";
import type { FlashLog, StoreChange } from "../store/flash-log";
import type { EntryMode, TxnKind } from "../cup/messages";
import { RecordReader, RecordWriter } from "./record-codec";
import { KEY_JOURNAL_BASE, KEY_JOURNAL_META } from "../terminal/storage";
import { isClearPan, maskedPan, type PanVault } from "./pan-vault";

export type TxnState = "pending" | "approved" | "declined" | "failed" | "reversed" | "voided" | "uploaded";

export const KINDS: readonly TxnKind[] = ["balance", "sale", "void", "refund", "preAuth", "preAuthCancel", "completion", "completionVoid", "offlineSale"];
export const STATES: readonly TxnState[] = ["pending", "approved", "declined", "failed", "reversed", "voided", "uploaded"];
const MODES: readonly EntryMode[] = ["swipe", "manual", "chip", "contactless", "fallback"];

/** A pre-authorization that a completion or a cancel has used (it can be neither completed nor cancelled again). */
export const FLAG_CLOSED = 1;
/** A PIN was verified online (slip: "PIN verified" instead of a signature line). */
export const FLAG_PIN = 2;
/** An advice (refund, offline sale) waits to be re-sent with its stored request. */
export const FLAG_ADVICE = 4;

export interface JournalRecord {
  slot: number;
  seq: number;
  kind: TxnKind;
  state: TxnState;
  flags: number;
  stan: number;
  batch: number;
  /** Fen. */
  amount: number;
  entryMode: EntryMode;
  /** Terminal RTC (ms since epoch) when the request was made. */
  localTime: number;
  /** Masked (first 6 / last 4) once stored; the clear PAN only between a flow's create() and change(). */
  pan: string;
  /** The PAN sealed by the PAN vault (tag | nonce | ciphertext); undefined when none was kept. */
  panSealed?: Uint8Array;
  expiry: string;
  operator: string;
  rrn: string;
  authCode: string;
  /** Field 39 of the answer ("" while pending or when none came). */
  responseCode: string;
  /** Host MMDD / hhmmss (13 / 12) and settlement date (15). */
  hostDate: string;
  hostTime: string;
  settlementDate: string;
  /** Field 32 and field 44 of the answer (issuer / acquirer ids for the slip). */
  acquirerId: string;
  additional: string;
  /** The original of a void, refund, completion, cancel. */
  origStan: number;
  origBatch: number;
  origDate: string;
  origRrn: string;
  origAuth: string;
  /** The error code when failed or reversed (E_HOST_TIMEOUT ...), and the reversal's reason (field 39 of the 0400). */
  error: string;
  reversalReason: string;
}

/** 1: clear PAN (read only, migrated); 2: PAN length + first 6 / last 4 digits + the sealed PAN. */
const VERSION = 2;
const VERSION_CLEAR_PAN = 1;

/** The record's bytes: never a clear PAN (a clear `pan` without `panSealed` is stored truncated to 6 + 4 digits). */
export function encodeRecord(r: JournalRecord): Uint8Array {
  const w = new RecordWriter(160);
  w.u8(VERSION).u8(KINDS.indexOf(r.kind)).u8(STATES.indexOf(r.state)).u8(r.flags).u32(r.seq).u24(r.stan).u24(r.batch).u48(r.amount).u8(MODES.indexOf(r.entryMode));
  w.u48(Math.max(0, Math.floor(r.localTime))).u24(r.origStan).u24(r.origBatch);
  const pan = r.pan ?? "";
  const n = pan.length;
  w.u8(n).str(n > 10 ? pan.substring(0, 6) + pan.substring(n - 4) : pan.substring(Math.max(0, n - 4))).bytes(r.panSealed);
  w.str(r.expiry).str(r.operator).str(r.rrn).str(r.authCode).str(r.responseCode).str(r.hostDate).str(r.hostTime).str(r.settlementDate);
  w.str(r.acquirerId).str(r.additional).str(r.origDate).str(r.origRrn).str(r.origAuth).str(r.error).str(r.reversalReason);
  return w.finish();
}

export function decodeRecord(b: Uint8Array, slot: number): JournalRecord {
  try {
    const r = new RecordReader(b);
    const version = r.u8();
    if (version !== VERSION && version !== VERSION_CLEAR_PAN) throw new CoreError("E_JOURNAL_RECORD", "journal record of another version");
    const kind = KINDS[r.u8()];
    const state = STATES[r.u8()];
    if (!kind || !state) throw new CoreError("E_JOURNAL_RECORD", "unknown kind or state");
    const flags = r.u8();
    const seq = r.u32();
    const stan = r.u24();
    const batch = r.u24();
    const amount = r.u48();
    const entryMode = MODES[r.u8()] ?? "manual";
    const localTime = r.u48();
    const origStan = r.u24();
    const origBatch = r.u24();
    let pan: string;
    let panSealed: Uint8Array | undefined;
    if (version === VERSION) {
      const n = r.u8();
      const kept = r.str();
      // A PAN is 12..19 digits (0: none kept); any other length is a damaged record, not a PAN to pad out.
      if (n !== 0 && (n < 12 || n > 19 || kept.length > n)) throw new CoreError("E_JOURNAL_RECORD", `PAN length ${n} with ${kept.length} digits kept`);
      pan = kept;
      if (n > kept.length) {
        const head = n > 10 ? kept.substring(0, 6) : "";
        pan = head;
        for (let i = head.length; i < n - 4; i++) pan += "*";
        pan += kept.substring(head.length);
      }
      const sealed = r.bytes();
      panSealed = sealed.length ? sealed : undefined;
    } else pan = r.str(); // format 1: clear (the journal migrates it)
    return {
      slot,
      seq,
      kind,
      state,
      flags,
      stan,
      batch,
      amount,
      entryMode,
      localTime,
      origStan,
      origBatch,
      pan,
      panSealed,
      expiry: r.str(),
      operator: r.str(),
      rrn: r.str(),
      authCode: r.str(),
      responseCode: r.str(),
      hostDate: r.str(),
      hostTime: r.str(),
      settlementDate: r.str(),
      acquirerId: r.str(),
      additional: r.str(),
      origDate: r.str(),
      origRrn: r.str(),
      origAuth: r.str(),
      error: r.str(),
      reversalReason: r.str(),
    };
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_JOURNAL_RECORD") throw e;
    throw new CoreError("E_JOURNAL_RECORD", `journal slot ${slot} does not decode: ${(e as Error).message}`);
  }
}

/** A blank record to fill (amounts 0, strings ""). */
export function blankRecord(kind: TxnKind): JournalRecord {
  return {
    slot: -1,
    seq: 0,
    kind,
    state: "pending",
    flags: 0,
    stan: 0,
    batch: 0,
    amount: 0,
    entryMode: "manual",
    localTime: 0,
    pan: "",
    expiry: "",
    operator: "",
    rrn: "",
    authCode: "",
    responseCode: "",
    hostDate: "",
    hostTime: "",
    settlementDate: "",
    acquirerId: "",
    additional: "",
    origStan: 0,
    origBatch: 0,
    origDate: "",
    origRrn: "",
    origAuth: "",
    error: "",
    reversalReason: "",
  };
}

export class Journal {
  /** Per slot: sequence number (0 = empty), state, kind, STAN, batch. */
  private readonly seqs: Int32Array;
  private readonly states: Uint8Array;
  private readonly kinds: Uint8Array;
  private readonly stans: Int32Array;
  private readonly batches: Int32Array;
  private lastSeq = 0;

  /**
   * `vault`: seals the PANs (without one a PAN is kept truncated to first 6 / last 4 only, and a void needs the
   * card). With a vault, records of format 1 (clear PAN) are rewritten sealed here.
   */
  constructor(private readonly store: FlashLog, readonly capacity: number, readonly vault?: PanVault) {
    this.seqs = new Int32Array(capacity);
    this.states = new Uint8Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.stans = new Int32Array(capacity);
    this.batches = new Int32Array(capacity);
    const meta = store.get(KEY_JOURNAL_META);
    if (meta && meta.length >= 4) this.lastSeq = ((meta[0]! << 24) | (meta[1]! << 16) | (meta[2]! << 8) | meta[3]!) >>> 0;
    let old: number[] | undefined;
    for (let slot = 0; slot < capacity; slot++) {
      const b = store.get(KEY_JOURNAL_BASE + slot);
      if (!b || b.length < 20) continue;
      // Only the fixed head is needed for the index.
      const r = new RecordReader(b);
      const version = r.u8();
      if (version !== VERSION && version !== VERSION_CLEAR_PAN) continue;
      if (version === VERSION_CLEAR_PAN) (old ??= []).push(slot);
      this.kinds[slot] = r.u8();
      this.states[slot] = r.u8();
      r.u8();
      this.seqs[slot] = r.u32();
      this.stans[slot] = r.u24();
      this.batches[slot] = r.u24();
      if (this.seqs[slot]! > this.lastSeq) this.lastSeq = this.seqs[slot]!;
    }
    if (old) this.migrate(old);
  }

  /**
   * Rewrites records of format 1 (clear PAN) sealed (or truncated without a vault), one commit each (a power cut
   * leaves the rest for the next boot). A vault that cannot seal now (no TMK yet) leaves them for the next boot.
   */
  private migrate(slots: number[]): void {
    if (!this.vault) return;
    for (const slot of slots) {
      const b = this.store.get(KEY_JOURNAL_BASE + slot);
      if (!b) continue;
      try {
        const rec = decodeRecord(b, slot);
        this.store.commit([{ key: KEY_JOURNAL_BASE + slot, value: this.encode(rec) }]);
      } catch (e) {
        if ((e as { code?: string }).code === "E_PAN_KEY_MISSING") return;
      }
    }
  }

  /** Seals a clear `rec.pan` (then masked in RAM too) and encodes the record. */
  private encode(rec: JournalRecord): Uint8Array {
    if (isClearPan(rec.pan)) {
      if (this.vault) rec.panSealed = this.vault.sealPan(rec.pan);
      rec.pan = maskedPan(rec.pan);
    }
    return encodeRecord(rec);
  }

  /**
   * The clear PAN of a stored record, for the one message that needs it (void or completion void without the card,
   * batch upload): drop it once the message is built. E_PAN_KEY_CHANGED (sealed under a key the PED no longer
   * holds) or E_PAN_NOT_STORED (kept truncated): present the card.
   */
  revealPan(rec: JournalRecord): string {
    if (isClearPan(rec.pan)) return rec.pan;
    if (!rec.panSealed || !rec.panSealed.length || !this.vault)
      throw new CoreError("E_PAN_NOT_STORED", `原卡号未保存，请刷卡 / the journal keeps only ${rec.pan} for trace ${rec.stan}: present the card`);
    return this.vault.openPan(rec.panSealed);
  }

  /** Records held. */
  get count(): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (this.seqs[i] !== 0) n++;
    return n;
  }

  /** A new pending record in a free slot (not yet stored: commit `change(rec)`, then `applied(rec)`). */
  create(kind: TxnKind): JournalRecord {
    let slot = -1;
    for (let i = 0; i < this.capacity; i++)
      if (this.seqs[i] === 0) {
        slot = i;
        break;
      }
    if (slot < 0) throw new CoreError("E_JOURNAL_FULL", `交易流水已满，请先结算 / the journal holds ${this.capacity} transactions: settle the batch first`);
    const r = blankRecord(kind);
    r.slot = slot;
    r.seq = this.lastSeq + 1;
    return r;
  }

  /** The store changes that write `rec` (and the journal's last sequence number). */
  change(rec: JournalRecord): StoreChange[] {
    const s = rec.seq;
    return [
      { key: KEY_JOURNAL_BASE + rec.slot, value: this.encode(rec) },
      { key: KEY_JOURNAL_META, value: new Uint8Array([(s >>> 24) & 255, (s >>> 16) & 255, (s >>> 8) & 255, s & 255]) },
    ];
  }

  /** Updates the RAM index after the commit that held change(rec). */
  applied(rec: JournalRecord): void {
    this.seqs[rec.slot] = rec.seq;
    this.states[rec.slot] = STATES.indexOf(rec.state);
    this.kinds[rec.slot] = KINDS.indexOf(rec.kind);
    this.stans[rec.slot] = rec.stan;
    this.batches[rec.slot] = rec.batch;
    if (rec.seq > this.lastSeq) this.lastSeq = rec.seq;
  }

  /** Writes `rec` on its own (one commit). */
  save(rec: JournalRecord): void {
    this.store.commit(this.change(rec));
    this.applied(rec);
  }

  get(slot: number): JournalRecord | undefined {
    if (!(slot >= 0 && slot < this.capacity) || this.seqs[slot] === 0) return undefined;
    const b = this.store.get(KEY_JOURNAL_BASE + slot);
    return b ? decodeRecord(b, slot) : undefined;
  }

  /** The record with trace `stan` in `batch` (the newest when a STAN repeats after wrapping). */
  findByStan(stan: number, batch: number): JournalRecord | undefined {
    let best = -1;
    for (let i = 0; i < this.capacity; i++)
      if (this.seqs[i] !== 0 && this.stans[i] === stan && this.batches[i] === batch && (best < 0 || this.seqs[i]! > this.seqs[best]!)) best = i;
    return best < 0 ? undefined : this.get(best);
  }

  /** Slots with `state` (any kind when `kind` is undefined), oldest first. */
  slotsWhere(state: TxnState | undefined, kind?: TxnKind): number[] {
    const st = state === undefined ? -1 : STATES.indexOf(state);
    const kd = kind === undefined ? -1 : KINDS.indexOf(kind);
    const out: number[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.seqs[i] !== 0 && (st < 0 || this.states[i] === st) && (kd < 0 || this.kinds[i] === kd)) out.push(i);
    return out.sort((a, b) => this.seqs[a]! - this.seqs[b]!);
  }

  /** Every record, oldest first (decodes them all: for the API and reports, not for hot paths). */
  list(): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const s of this.slotsWhere(undefined)) {
      const r = this.get(s);
      if (r) out.push(r);
    }
    return out;
  }

  /** The newest record matching `pred` (scans newest first). */
  latest(pred: (r: JournalRecord) => boolean): JournalRecord | undefined {
    const slots = this.slotsWhere(undefined);
    for (let i = slots.length - 1; i >= 0; i--) {
      const r = this.get(slots[i]!);
      if (r && pred(r)) return r;
    }
    return undefined;
  }

  /** The changes that delete every record of `batch` (after its settlement). */
  clearChanges(batch: number): StoreChange[] {
    const out: StoreChange[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.seqs[i] !== 0 && this.batches[i] === batch) out.push({ key: KEY_JOURNAL_BASE + i, value: undefined });
    return out;
  }

  /** After a commit that deleted the record stored under `key` (a part of clearChanges). */
  forget(key: number): void {
    const slot = key - KEY_JOURNAL_BASE;
    if (slot >= 0 && slot < this.capacity) this.seqs[slot] = 0;
  }

  /** After the commit that held clearChanges(batch). */
  cleared(batch: number): void {
    for (let i = 0; i < this.capacity; i++) if (this.seqs[i] !== 0 && this.batches[i] === batch) this.seqs[i] = 0;
  }
}
