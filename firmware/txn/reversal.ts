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
 *
 * Card data at rest (PCI DSS 3.4): with a PAN vault (pan-vault.ts) the record keeps fields 2, 14, 35, 36 and 55
 * sealed (format 2); `pending.fields` holds only the others, and request() opens the sealed ones for the message
 * it builds. When they cannot be opened (E_PAN_KEY_CHANGED: the PED's storage key changed) the reversal still goes
 * out without them (identified by trace, terminal, merchant and amount), and `pending.lost` says so. Without a
 * vault (unit tests of other parts) the record is written as format 1, fields in clear.
 */
import { CoreError } from "../core/errors";
import type { FlashLog, StoreChange } from "../store/flash-log";
import { buildReversal, decodeFields, encodeFields, type CupRequest, type FieldMap } from "../cup/messages";
import { RecordReader, RecordWriter } from "./record-codec";
import { KEY_REVERSAL } from "../terminal/storage";
import type { PanVault } from "./pan-vault";

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
  /** The 0400's fields (39 holds the reason); with a vault, without the sealed card fields. */
  fields: FieldMap;
  /** The card fields (2, 14, 35, 36, 55) sealed by the vault, when there are any. */
  sealed?: Uint8Array;
  /** Why sealed card fields could not be opened (E_PAN_KEY_CHANGED): the reversal goes out without them. */
  lost?: string;
}

/** 1: fields in clear (no vault); 2: card fields sealed. */
const VERSION_CLEAR = 1;
const VERSION = 2;

function encode(p: PendingReversal, sealedFormat: boolean): Uint8Array {
  const w = new RecordWriter(192).u8(sealedFormat ? VERSION : VERSION_CLEAR).u16(p.slot).str(p.stan).str(p.reason).u16(p.tries).bytes(encodeFields(p.fields));
  if (sealedFormat) w.bytes(p.sealed);
  return w.finish();
}

function decode(b: Uint8Array, vault: PanVault | undefined): PendingReversal {
  try {
    const r = new RecordReader(b);
    const version = r.u8();
    if (version !== VERSION && version !== VERSION_CLEAR) throw new CoreError("E_REVERSAL_RECORD", "reversal record of another version");
    const slot = r.u16();
    const stan = r.str();
    const reason = r.str();
    const tries = r.u16();
    const fields = decodeFields(r.bytes());
    if (version === VERSION_CLEAR) {
      // Format 1 (clear): with a vault the card fields are sealed when the record is next written (update()).
      if (!vault) return { slot, stan, reason, tries, fields };
      const { clear, sealed } = vault.splitFields(fields);
      return { slot, stan, reason, tries, fields: clear, sealed };
    }
    const sealed = r.bytes();
    return { slot, stan, reason, tries, fields, sealed: sealed.length ? sealed : undefined };
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_REVERSAL_RECORD") throw e;
    throw new CoreError("E_REVERSAL_RECORD", `stored reversal does not decode: ${(e as Error).message}`);
  }
}

export class ReversalStore {
  private cached: PendingReversal | undefined;

  constructor(private readonly store: FlashLog, private readonly vault?: PanVault) {
    const b = store.get(KEY_REVERSAL);
    let p: PendingReversal | undefined;
    try {
      p = b ? decode(b, vault) : undefined;
    } catch (e) {
      // A format-1 record met a vault that cannot seal yet (no key can be made): read it as it is.
      if (!b || !vault || b[0] !== VERSION_CLEAR) throw e;
      p = decode(b, undefined);
    }
    this.cached = p;
    if (p && vault && p.sealed && b && b[0] === VERSION_CLEAR) store.put(KEY_REVERSAL, encode(p, true)); // migrated
  }

  get pending(): PendingReversal | undefined {
    return this.cached;
  }

  /** The record for the original `request` (journal `slot`), reason 98 until told otherwise: commit it with the journal record. */
  recordChange(request: CupRequest, slot: number, pan?: string): { change: StoreChange; reversal: PendingReversal } {
    const rev = buildReversal(request, REASON_TIMEOUT, pan);
    rev.fields[64] = undefined;
    let reversal: PendingReversal = { slot, stan: request.stan, reason: REASON_TIMEOUT, tries: 0, fields: rev.fields };
    if (this.vault) {
      const { clear, sealed } = this.vault.splitFields(rev.fields);
      reversal = { ...reversal, fields: clear, sealed };
    }
    return { change: { key: KEY_REVERSAL, value: encode(reversal, !!this.vault) }, reversal };
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
    this.store.put(KEY_REVERSAL, encode(next, !!this.vault));
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
    if (p.sealed && this.vault) {
      try {
        const card = this.vault.openFields(p.sealed);
        for (const k in card) fields[+k] = card[+k];
      } catch (e) {
        // The storage key changed: the reversal goes out without the card fields (see the file comment).
        p.lost = (e as { code?: string }).code ?? "E_PAN_KEY_CHANGED";
      }
    }
    return { mti: "0400", mac: true, stan: p.stan, fields };
  }
}
