/**
 * STAN (field 11, 受卡方系统跟踪号/凭证号) and batch number (60.2), kept across power cuts and never reused.
 *
 * The record holds the NEXT STAN to use. A STAN is consumed by committing its successor: either alone
 * (`take()`, one flash write) or inside the commit that also writes the transaction's journal record and reversal
 * (`peek()` + `consumeChange()`), so a STAN is on the wire only after flash says it is used, and a power cut can at
 * worst skip one. 999999 wraps to 000001. Batch numbers run 000001..999999 and wrap likewise.
 */
import { CoreError } from "../core/errors";
import type { FlashLog, StoreChange } from "../store/flash-log";
import { RecordReader, RecordWriter } from "../txn/record-codec";
import { KEY_COUNTERS } from "./storage";

const VERSION = 1;
export const MAX_STAN = 999999;

export function nextOf(n: number): number {
  return n >= MAX_STAN ? 1 : n + 1;
}

export class Counters {
  private nextStan = 1;
  private currentBatch = 1;

  constructor(private readonly store: FlashLog) {
    const b = store.get(KEY_COUNTERS);
    if (b) {
      try {
        const r = new RecordReader(b);
        if (r.u8() !== VERSION) throw new CoreError("E_COUNTERS_RECORD", "counter record of another version");
        this.nextStan = r.u24();
        this.currentBatch = r.u24();
      } catch (e) {
        throw new CoreError("E_COUNTERS_RECORD", `stored counters do not decode: ${(e as Error).message}`);
      }
      if (!(this.nextStan >= 1 && this.nextStan <= MAX_STAN)) this.nextStan = 1;
      if (!(this.currentBatch >= 1 && this.currentBatch <= MAX_STAN)) this.currentBatch = 1;
    }
  }

  /** The STAN the next message will use (not yet consumed). */
  peek(): number {
    return this.nextStan;
  }

  get batch(): number {
    return this.currentBatch;
  }

  private encode(nextStan: number, batch: number): Uint8Array {
    return new RecordWriter(8).u8(VERSION).u24(nextStan).u24(batch).finish();
  }

  /** The change that consumes `stan` (= peek()); apply `consumed(stan)` after committing it. */
  consumeChange(stan: number): StoreChange {
    return { key: KEY_COUNTERS, value: this.encode(nextOf(stan), this.currentBatch) };
  }

  /** After the commit that held consumeChange(stan). */
  consumed(stan: number): void {
    this.nextStan = nextOf(stan);
  }

  /** Consumes and returns the next STAN (one commit). */
  take(): number {
    const stan = this.nextStan;
    this.store.commit([this.consumeChange(stan)]);
    this.consumed(stan);
    return stan;
  }

  /** The change that sets the batch number (sign-in with another batch, settlement closing the batch). */
  batchChange(batch: number): StoreChange {
    if (!(batch >= 1 && batch <= MAX_STAN)) throw new CoreError("E_COUNTERS_BATCH", `batch ${batch} outside 1..${MAX_STAN}`);
    return { key: KEY_COUNTERS, value: this.encode(this.nextStan, batch) };
  }

  /** After the commit that held batchChange(batch). */
  batchSet(batch: number): void {
    this.currentBatch = batch;
  }
}
