/**
 * The acquirer host: the CUP 8583 dialect's server on a real TCP port (spec/cup-8583.md, docs/cup-profile.md).
 *
 *   const host = await createAcquirerHost();          // 127.0.0.1, a free port, factory devices and test cards
 *   host.port; host.ledger; host.events; host.rules; host.terminals; host.accounts; await host.close();
 *
 * Activation, sign-in/out, echo, balance, sale, void, refund, pre-auth, pre-auth cancel, completion, completion
 * void, offline sale advice, reversal, settlement and batch upload; MAC check on every request carrying field 64
 * and a MAC on the answers to them; PIN check; a ledger per terminal and batch; duplicate detection by STAN;
 * scripted answers and faults (script.ts); an event list of what was seen and answered.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { AccountBook } from "./accounts.ts";
import { resolveConfig, type HostConfig, type ResolvedConfig } from "./config.ts";
import { EventLog } from "./events.ts";
import { nodeRandom } from "./keys.ts";
import { Ledger } from "./ledger.ts";
import { ScriptRules } from "./script.ts";
import { Session } from "./session.ts";
import type { HostState } from "./state.ts";
import { TerminalRegistry } from "./terminals.ts";

export interface AcquirerHost {
  /** The listening port on `address`. */
  port: number;
  address: string;
  /** The resolved settings; mutable while running (e.g. `config.maintenance = true`). */
  config: ResolvedConfig;
  ledger: Ledger;
  events: EventLog;
  rules: ScriptRules;
  terminals: TerminalRegistry;
  accounts: AccountBook;
  /** Open connections. */
  connections(): number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
  /**
   * A host restart (reliability campaign): every connection dropped, the listener closed, then (after `downMs`,
   * during which connections are refused) listening again on the same port; ledger, keys and rules are kept.
   */
  restart(downMs?: number): Promise<void>;
}

export async function createAcquirerHost(config: HostConfig = {}): Promise<AcquirerHost> {
  const cfg = resolveConfig(config);
  const events = new EventLog(cfg.eventLimit, config.onEvent);
  const state: HostState = {
    config: cfg,
    terminals: new TerminalRegistry({ factory: cfg.factory, devices: config.devices, terminals: config.terminals }),
    accounts: new AccountBook({ factory: cfg.factory, accounts: config.accounts, pinTryLimit: cfg.pinTryLimit }),
    ledger: new Ledger(),
    events,
    clock: config.clock ?? (() => new Date()),
    random: config.random ?? nodeRandom,
  };
  const rules = new ScriptRules(config.rules ?? []);
  const sessions = new Set<Session>();
  let nextConn = 1;

  const server: Server = createServer((socket: Socket) => {
    const id = nextConn++;
    events.push({ conn: id, kind: "connect", note: `from ${socket.remoteAddress}:${socket.remotePort}` });
    const r = rules.onConnect();
    if (r) {
      events.push({ conn: id, kind: "fault", rule: r.id, note: "disconnect on accept" });
      socket.on("error", () => undefined);
      socket.destroy();
      return;
    }
    sessions.add(new Session(id, socket, state, rules, (s) => sessions.delete(s)));
  });
  server.on("error", (e) => events.push({ conn: 0, kind: "error", note: `server: ${e.message}` }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  events.push({ conn: 0, kind: "listen", note: `${addr.address}:${addr.port}` });

  return {
    port: addr.port,
    address: addr.address,
    config: cfg,
    ledger: state.ledger,
    events,
    rules,
    terminals: state.terminals,
    accounts: state.accounts,
    connections: () => sessions.size,
    close: async () => {
      for (const s of sessions) s.destroy();
      sessions.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async (downMs = 0) => {
      for (const s of sessions) s.destroy();
      sessions.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      events.push({ conn: 0, kind: "note", note: `restart: listener closed for ${downMs} ms` });
      if (downMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, downMs));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(addr.port, addr.address, () => {
          server.off("error", reject);
          resolve();
        });
      });
      events.push({ conn: 0, kind: "listen", note: `${addr.address}:${addr.port} (restarted)` });
    },
  };
}

export type { HostConfig } from "./config.ts";
export { loadHostConfig } from "./config.ts";
