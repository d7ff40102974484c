/**
 * The pending reversal (冲正, spec §6.7, profile "Financial messages"). Its record — the 0400 built from the
 * original request (fields only: no track data, no PIN block), the reason, the journal slot of the original and
 * the tries so far — is committed together with the original's pending journal record BEFORE the original is
 * sent. It is deleted only in the commit that records the original's final outcome: approved (no reversal
 * needed) or reversed (a 0410 came: any 0410 closes it). So after a power cut at any point the terminal either
 * has nothing to reverse or sends the reversal on the next boot, before any other financial message.
 *
 * One pending reversal at a time: a new financial transaction does not start while one is pending (the flows
 * send it first and refuse with E_REVERSAL_PENDING when it still cannot go out).
 */
import { CoreError } from "../core/errors";
import type { FlashLog, StoreChange } from "../store/flash-log";
import { buildReversal, decodeFields, encodeFields, type CupRequest, type FieldMap } from "../cup/messages";
import { RecordReader, RecordWriter } from "./record-codec";
import { KEY_REVERSAL } from "../terminal/storage";

/** Field 39 of the 0400 (profile). */
export const REASON_TIMEOUT = "98";
export const REASON_NOT_COMPLETED = "96";
export const REASON_MAC = "A0";
export const REASON_OTHER = "06";

export interface PendingReversal {
  /** Journal slot of the original. */
  slot: number;
  /** Trace of the original (= field 11 of the 0400). */
  stan: string;
  reason: string;
  /** Reversal messages sent so far without an answer. */
  tries: number;
  /** The 0400's fields (39 holds the reason). */
  fields: FieldMap;
}

const VERSION = 1;

function encode(p: PendingReversal): Uint8Array {
  return new RecordWriter(160).u8(VERSION).u16(p.slot).str(p.stan).str(p.reason).u16(p.tries).bytes(encodeFields(p.fields)).finish();
}

function decode(b: Uint8Array): PendingReversal {
  try {
    const r = new RecordReader(b);
    if (r.u8() !== VERSION) throw new CoreError("E_REVERSAL_RECORD", "reversal record of another version");
    const slot = r.u16();
    const stan = r.str();
    const reason = r.str();
    const tries = r.u16();
    return { slot, stan, reason, tries, fields: decodeFields(r.bytes()) };
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_REVERSAL_RECORD") throw e;
    throw new CoreError("E_REVERSAL_RECORD", `stored reversal does not decode: ${(e as Error).message}`);
  }
}

export class ReversalStore {
  private cached: PendingReversal | undefined;

  constructor(private readonly store: FlashLog) {
    const b = store.get(KEY_REVERSAL);
    this.cached = b ? decode(b) : undefined;
  }

  get pending(): PendingReversal | undefined {
    return this.cached;
  }

  /** The record for the original `request` (journal `slot`), reason 98 until told otherwise: commit it with the journal record. */
  recordChange(request: CupRequest, slot: number, pan?: string): { change: StoreChange; reversal: PendingReversal } {
    const rev = buildReversal(request, REASON_TIMEOUT, pan);
    rev.fields[64] = undefined;
    const reversal: PendingReversal = { slot, stan: request.stan, reason: REASON_TIMEOUT, tries: 0, fields: rev.fields };
    return { change: { key: KEY_REVERSAL, value: encode(reversal) }, reversal };
  }

  /** After the commit that held recordChange. */
  recorded(reversal: PendingReversal): void {
    this.cached = reversal;
  }

  /** Sets the reason (timeout 98, MAC A0, other 06, not completed 96) and the try count, power-fail safe. */
  update(reason: string, tries: number): void {
    const p = this.cached;
    if (!p) return;
    const next: PendingReversal = { ...p, reason, tries, fields: { ...p.fields, 39: reason } };
    this.store.put(KEY_REVERSAL, encode(next));
    this.cached = next;
  }

  /** The change that deletes the record (with the original's final journal state). */
  clearChange(): StoreChange {
    return { key: KEY_REVERSAL, value: undefined };
  }

  cleared(): void {
    this.cached = undefined;
  }

  /** The 0400 to send now. */
  request(): CupRequest {
    const p = this.cached;
    if (!p) throw new CoreError("E_REVERSAL_NONE", "no reversal pending");
    const fields: FieldMap = { ...p.fields, 39: p.reason };
    return { mti: "0400", mac: true, stan: p.stan, fields };
  }
}
