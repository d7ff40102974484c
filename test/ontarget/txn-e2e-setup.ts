/**
 * The scenario of the on-target end-to-end test (txn-e2e.spec.ts), shared with the Node test that records the
 * host's answers to it (test/unit/txn/e2e-recording.test.ts): a terminal already activated (identity in the
 * store, TMK in the PED), then operator sign-in, sign-in, a swiped sale with PIN, and its void.
 */
import type { FlashLog } from "../../firmware/store/flash-log";
import { DEFAULT_PARAMS, paramsChange } from "../../firmware/terminal/params";
import type { SoftPed } from "./txn-peers";

export const E2E = {
  terminalId: "20000001",
  merchantId: "898100012345678",
  merchantName: "银联测试商户",
  /** The TMK of spec §9 (clear here: it is a test key the scripted host's recording was made with). */
  tmkHex: "11111111111111112222222222222222",
  /** The simulator's debit test card (boards/sim/host/factory.ts TEST_CARDS.debit). */
  track2: "6214830012345678900=28126201234567890",
  pan: "6214830012345678900",
  pin: "1234",
  amount: 12345,
  operator: "01",
  operatorPassword: "0000",
  supervisorPassword: "123456",
  /** The host's clock during the recording (fields 12, 13, 15). */
  hostClockIso: "2026-11-22T09:30:15+08:00",
};

/** An activated terminal: the identity stored, the TMK in the PED's slot 1. */
export function prepareActivated(store: FlashLog, ped: SoftPed, hostPort = 6000): void {
  store.commit([paramsChange({ ...DEFAULT_PARAMS, reverseOnCodes: ["98"], terminalId: E2E.terminalId, merchantId: E2E.merchantId, merchantName: E2E.merchantName, hostAddress: "127.0.0.1", hostPort, activated: true })]);
  ped.inject(1, "tmk", "3des", E2E.tmkHex);
}
