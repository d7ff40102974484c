/**
 * Where the terminal keeps what must survive a power cut: one FlashLog (firmware/store/flash-log.ts) on the
 * board's "store" partition, with these keys. Changes that belong together go in one atomic `commit`.
 *
 *   0x0100 parameters (params.ts)            0x0104 pending reversal (reversal.ts)
 *   0x0101 STAN and batch counters            0x0105 journal meta: next sequence number
 *   0x0102 working-key state (signin.ts)      0x1000 + slot  journal records (journal.ts)
 *   0x0103 operators (operator.ts)            0x2000 + slot  stored advice requests awaiting an answer
 *   0x0106 settlement in progress (txn/settlement.ts)   0x0107 the last settlement report (reprint)
 *   0x0200 PAN vault key record (txn/pan-vault.ts)      0x3000 + slot  chip data of a journal record (txn/chip.ts)
 *   0x0300 app settings (app/app.ts)                    0x0310 / 0x0311 self-test sign-in record / scratch (diag/selftest.ts)
 * The keys are defined where they are used; this map is the one place that lists them all (no two may collide).
 */
import { FlashLog, StoreError } from "../store/flash-log";
import type { Hal } from "../../hal/index";

export const KEY_PARAMS = 0x0100;
export const KEY_COUNTERS = 0x0101;
export const KEY_KEYSTATE = 0x0102;
export const KEY_OPERATORS = 0x0103;
export const KEY_REVERSAL = 0x0104;
export const KEY_JOURNAL_META = 0x0105;
export const KEY_SETTLEMENT = 0x0106;
export const KEY_SETTLEMENT_REPORT = 0x0107;
export const KEY_JOURNAL_BASE = 0x1000;
export const KEY_ADVICE_BASE = 0x2000;
/** Journal slots available (the journal's capacity parameter may not exceed it). */
export const MAX_JOURNAL_SLOTS = 0x1000;

/** Mounts the store on the board's "store" partition. */
export function openStore(hal: Hal): FlashLog {
  const part = hal.device.flash.partitions.store;
  if (!part) throw new StoreError("E_STORE_PARTITION", `board ${hal.device.name} has no "store" flash partition`);
  return new FlashLog(hal.flash, part.first, part.count);
}
