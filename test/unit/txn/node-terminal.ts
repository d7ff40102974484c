/**
 * The Terminal in Node's fast mode (engine code imported directly): real timers and clock, a RAM flash
 * (boards/sim/devices/flash.ts), the software PED of test/ontarget/txn-peers.ts and a NetConnector over node:net
 * to the acquirer host on 127.0.0.1. For quick integration tests of the flows; the engine tests run the same code
 * inside QuickJS with the simulator's devices.
 */
import { connect, type Socket } from "node:net";
import { randomFillSync } from "node:crypto";
import { loadBoard } from "../../../build/board.ts";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { SIM_TRANSPORT_KEY_HEX } from "../../../boards/sim/devices/ped.ts";
import { createTime } from "../../../hal/time.ts";
import { createLog } from "../../../hal/log.ts";
import type { Hal } from "../../../hal/index.ts";
import type { Device } from "../../../hal/device.ts";
import type { NetConnector, NetSocket } from "../../../hal/net/socket.ts";
import { PinPad } from "../../../hal/ped/pinpad.ts";
import { Terminal, type TerminalEvent } from "../../../firmware/terminal/terminal.ts";
import { SoftPed } from "../../ontarget/txn-peers.ts";

function err(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** A NetSocket over node:net. */
export function nodeSocket(s: Socket): NetSocket {
  const chunks: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  s.on("data", (d: Buffer) => {
    chunks.push(d);
    poke();
  });
  s.on("end", () => {
    ended = true;
    poke();
  });
  s.on("close", () => {
    ended = true;
    poke();
  });
  s.on("error", (e) => {
    failure = err("E_SOCKET_CLOSED", e.message);
    poke();
  });
  const read = async (timeoutMs: number, max = 65536): Promise<Uint8Array> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (chunks.length) {
        const c = chunks[0]!;
        if (c.length <= max) {
          chunks.shift();
          return new Uint8Array(c);
        }
        chunks[0] = c.subarray(max);
        return new Uint8Array(c.subarray(0, max));
      }
      if (failure) throw failure;
      if (ended) throw err("E_SOCKET_CLOSED", "the peer closed the connection");
      const left = deadline - Date.now();
      if (left <= 0) throw err("E_SOCKET_TIMEOUT", `no data within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (ended || s.destroyed) return reject(err("E_SOCKET_CLOSED", "write on a closed socket"));
        s.write(data, (e) => (e ? reject(err("E_SOCKET_SEND", e.message)) : resolve()));
      }),
    read,
    async readExactly(n, timeoutMs) {
      const out = new Uint8Array(n);
      let fill = 0;
      const t0 = Date.now();
      while (fill < n) {
        const c = await read(Math.max(1, timeoutMs - (Date.now() - t0)), n - fill);
        out.set(c, fill);
        fill += c.length;
      }
      return out;
    },
    close: async () => {
      s.destroy();
    },
  };
}

export const nodeConnector: NetConnector = {
  connect: (host, port, options) =>
    new Promise<NetSocket>((resolve, reject) => {
      const s = connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        reject(err("E_SOCKET_CONNECT", `no connection to ${host}:${port}`));
      }, options?.timeoutMs ?? 10000);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(nodeSocket(s));
      });
      s.once("error", (e) => {
        clearTimeout(t);
        reject(err("E_SOCKET_CONNECT", e.message));
      });
    }),
};

/**
 * SimFlash as the `flash` native: `read` fills the caller's array when given (FlashLog relies on it), and a
 * scheduled power cut stops the board at the torn operation (it throws, nothing after it runs), as in the engine.
 */
export class CuttingFlash implements Natives.Flash {
  constructor(readonly f: SimFlash) {}
  get sectorSize(): number {
    return this.f.sectorSize;
  }
  get sectorCount(): number {
    return this.f.sectorCount;
  }
  read(o: number, n: number, into?: Uint8Array): Uint8Array {
    const b = this.f.read(o, n);
    if (!into) return b;
    into.set(b);
    return into;
  }
  program(o: number, d: Uint8Array): void {
    this.f.program(o, d);
    if (this.f.takePowerCut()) throw Object.assign(new Error("E_POWER_OFF: power cut"), { code: "E_POWER_OFF" });
  }
  erase(s: number): void {
    this.f.erase(s);
    if (this.f.takePowerCut()) throw Object.assign(new Error("E_POWER_OFF: power cut"), { code: "E_POWER_OFF" });
  }
}

export interface NodeTerminal {
  terminal: Terminal;
  ped: SoftPed;
  flash: SimFlash;
  logs: string[];
  events: TerminalEvent[];
  hal: Hal;
  /** The same flash, new RAM: a reboot. */
  reboot(): NodeTerminal;
}

export function nodeTerminal(o: { flash?: SimFlash; ped?: SoftPed; connector?: NetConnector; serial?: string } = {}): NodeTerminal {
  const board = loadBoard("sim");
  const flash = o.flash ?? new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  const logs: string[] = [];
  const events: TerminalEvent[] = [];
  const t0 = performance.now();
  let rtc = Date.UTC(2026, 10, 22, 1, 30, 0);
  const timers: Natives.Timers = {
    set: (cb, ms) => setTimeout(cb, ms) as unknown as number,
    repeat: (cb, ms) => setInterval(cb, ms) as unknown as number,
    clear: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
  };
  const clock: Natives.Clock = { monotonic: () => Math.floor(performance.now() - t0), now: () => rtc + Math.floor(performance.now() - t0), set: (ms) => (rtc = ms - Math.floor(performance.now() - t0)) };
  const system = {
    engine: "node (fast mode)",
    serialNumber: () => o.serial ?? "SIM00000001",
    random: (into: Uint8Array) => void randomFillSync(into),
    reset() {},
    battery: () => undefined,
    log: (level: number, m: string) => void logs.push(`${level} ${m}`),
    exit() {},
  } as Natives.System;
  const hal: Hal = {
    device: board as unknown as Device,
    log: createLog(system),
    time: createTime(timers, clock),
    flash: new CuttingFlash(flash),
    system,
    openSerial: () => {
      throw err("E_NO_SUCH_PORT", "no serial ports in fast mode");
    },
  };
  const ped = o.ped ?? new SoftPed(Uint8Array.from(Buffer.from(SIM_TRANSPORT_KEY_HEX, "hex")), (fn) => void setTimeout(fn, 0));
  const pinpad = new PinPad(ped, timers);
  const terminal = Terminal.open({ hal, pinpad, connector: o.connector ?? nodeConnector, onEvent: (e) => void events.push(e), firmwareVersion: "0.1.0-test" });
  return { terminal, ped, flash, logs, events, hal, reboot: () => nodeTerminal({ ...o, flash, ped }) };
}
