/**
 * Shared set-up of the batch tests in Node's fast mode: the real acquirer host on 127.0.0.1, a terminal (engine
 * code imported into Node, RAM flash that can be cut) activated, signed in, operator 01, and a connector whose
 * link can be taken down (connect refused: an outage) and brought back.
 */
import { createAcquirerHost, type AcquirerHost } from "../../../boards/sim/host/host.ts";
import { DEFAULT_ACTIVATION_CODE, TEST_CARDS } from "../../../boards/sim/host/factory.ts";
import type { NetConnector } from "../../../hal/net/socket.ts";
import type { CardData } from "../../../firmware/cup/messages.ts";
import type { SettlementTotals } from "../../../firmware/cup/messages.ts";
import type { BatchTotals } from "../../../boards/sim/host/ledger.ts";
import { nodeConnector, nodeTerminal, type NodeTerminal } from "../txn/node-terminal.ts";

export interface Link extends NetConnector {
  up: boolean;
  refused: number;
}

export function switchableLink(): Link {
  const link: Link = {
    up: true,
    refused: 0,
    connect(host, port, options) {
      if (!link.up) {
        link.refused++;
        return Promise.reject(Object.assign(new Error("E_LINK_DOWN: no 4G link (outage)"), { code: "E_LINK_DOWN" }));
      }
      return nodeConnector.connect(host, port, options);
    },
  };
  return link;
}

export interface BatchWorld {
  host: AcquirerHost;
  link: Link;
  t: NodeTerminal;
}

export async function batchWorld(params: Record<string, unknown> = {}): Promise<BatchWorld> {
  const host = await createAcquirerHost();
  const link = switchableLink();
  const first = nodeTerminal({ connector: link });
  first.terminal.configure({ hostAddress: "127.0.0.1", hostPort: host.port, ...params });
  // The journal's capacity is read when the terminal starts: start again with the parameters in flash.
  const t = first.reboot();
  const a = await t.terminal.activate(DEFAULT_ACTIVATION_CODE);
  if (a.status !== "approved") throw new Error(`activation ${JSON.stringify(a)}`);
  const s = await t.terminal.signIn();
  if (s.status !== "approved") throw new Error(`sign-in ${JSON.stringify(s)}`);
  t.terminal.operatorSignIn("01", "0000");
  return { host, link, t };
}

export const swipe = (c: { pan: string; track2: string }): CardData => ({ entryMode: "swipe", pan: c.pan, track2: c.track2 });
export const keyed = (c: { pan: string; expiry: string }): CardData => ({ entryMode: "manual", pan: c.pan, expiry: c.expiry });
export const CARDS = TEST_CARDS;

/** The terminal's totals without the result digits, shaped as the host's. */
export function plain(t: SettlementTotals): BatchTotals {
  const h = (p: SettlementTotals["domestic"]) => ({ debitAmount: p.debitAmount, debitCount: p.debitCount, creditAmount: p.creditAmount, creditCount: p.creditCount });
  return { domestic: h(t.domestic), foreign: h(t.foreign) };
}

export function fmt(t: BatchTotals): string {
  const y = (f: number) => (f / 100).toFixed(2);
  return `domestic debit ${t.domestic.debitCount} / ${y(t.domestic.debitAmount)} credit ${t.domestic.creditCount} / ${y(t.domestic.creditAmount)}; foreign debit ${t.foreign.debitCount} / ${y(t.foreign.debitAmount)} credit ${t.foreign.creditCount} / ${y(t.foreign.creditAmount)}`;
}
