/**
 * The test agent's `update` op (HIL/sim images): {host, port} checks the TMS and stages a new image
 * (firmware/update/updater.ts); without a host it reports the boot-control record.
 */
import type { Hal } from "../../hal/index";
import type { NetConnector } from "../../hal/net/socket";
import type { CborValue } from "../core/cbor";
import { bootState, checkForUpdate } from "./updater";

export async function updateOp(hal: Hal, net: NetConnector, version: string, a: { [k: string]: unknown }): Promise<CborValue> {
  if (typeof a.host === "string" && typeof a.port === "number") {
    const r = await checkForUpdate(hal, net, { host: a.host, port: a.port, version, timeoutMs: typeof a.timeoutMs === "number" ? a.timeoutMs : undefined });
    return r as unknown as CborValue;
  }
  const c = bootState(hal);
  return c ? (c as unknown as CborValue) : null;
}
