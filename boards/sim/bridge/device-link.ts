/**
 * The device-link server: the far end of the native runtime's `--devices unix:PATH|tcp:HOST:PORT`
 * (boards/linux/README.md, "Device link protocol"; boards/port/natives_devices.c). One message per line,
 * a tag, a space, JSON:
 *   Q {"id":N,"op":...}  request from the port, answered by exactly one  R {"id":N,"result":...|"error":{code,message}}
 *   N {"op":...}         notice from the port, no answer
 *   E {"h":H,"ev":...}   event to the port for the handle H it gave at open
 *
 * Behind it play the simulator's own devices: SimCardReader (contact/contactless slots, magstripe), SimPed,
 * SimDisplay, SimKeypad, through the host functions they install for the embedded engine (host-functions.ts).
 * The port's handles (`h`) are mapped to the devices' handler ids; what the devices post for the engine
 * ("readable", "present", "swipe", "pin", "pindone"...) becomes the protocol's events. Answers go out before
 * the events a request caused, as the port's reply wait expects either order.
 *
 * One connection at a time is served (one runtime process); a new connection (a restarted process) and a
 * `N boot` (a reboot inside the process) both reinstall the devices, which forget their open handles and
 * keep what a real device keeps (cards in the slot, keys in the PED).
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import type { ExtraNatives, HostApi } from "../engine-host.ts";
import { VirtualClock } from "../clock.ts";
import { codeOf, installPlain, type HostFunctions } from "./host-functions.ts";

export interface DeviceLinkOptions {
  /** The devices (any of SimCardReader, SimPed, SimDisplay, SimKeypad, or another ExtraNatives of the same shape). */
  extras: ExtraNatives[];
  /** "unix:PATH" or "tcp:127.0.0.1:0" (port 0 = any free one); default a TCP port on 127.0.0.1. */
  listen?: string;
  /** The devices' clock (PIN entry deadlines); default real time. */
  clock?: VirtualClock;
  /** Display size answered to `hello` when no display device is given. */
  display?: { rows: number; columns: number };
  /** Every line in and out, for tracing. */
  onLine?: (direction: "in" | "out", line: string) => void;
}

type HandleKind = "card" | "magstripe" | "keypad" | "pin";

interface Mapped {
  h: number;
  kind: HandleKind;
}

export interface DeviceLinkStats {
  connections: number;
  requests: number;
  notices: number;
  events: number;
  errors: number;
  boots: number;
  hello?: { board?: string; version?: number };
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();

/** Bytes from the port: {"hex":"..."} (or a bare hex string). */
function bytesOf(v: unknown, what: string): Uint8Array {
  const h = typeof v === "string" ? v : v && typeof v === "object" ? (v as { hex?: unknown }).hex : undefined;
  if (typeof h !== "string" || !/^([0-9a-fA-F]{2})*$/.test(h)) throw new Error(`E_OPTIONS: ${what} must be hex bytes`);
  return Uint8Array.from(Buffer.from(h, "hex"));
}

export class DeviceLinkServer {
  readonly stats: DeviceLinkStats = { connections: 0, requests: 0, notices: 0, events: 0, errors: 0, boots: 0 };
  /** Where the runtime connects: the value for `--devices`. */
  spec = "";
  private server: Server | undefined;
  private socket: Socket | undefined;
  private fns: HostFunctions = {};
  private readonly clock: VirtualClock;
  private nextId = 1;
  /** device handler id -> the port's handle */
  private byId = new Map<number, Mapped>();
  /** "kind:h" -> device handler id */
  private byHandle = new Map<string, number>();
  /** Events posted while a request runs go out after its answer. */
  private inRequest = false;
  private held: string[] = [];
  private text = "";

  constructor(private readonly options: DeviceLinkOptions) {
    this.clock = options.clock ?? new VirtualClock("real", Date.now());
    this.clock.boot();
  }

  /** Starts listening; resolves with the `--devices` value. */
  async listen(): Promise<string> {
    const spec = this.options.listen ?? "tcp:127.0.0.1:0";
    const server = createServer((s) => this.accept(s));
    this.server = server;
    if (spec.startsWith("unix:")) {
      const path = spec.slice(5);
      if (existsSync(path)) unlinkSync(path);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => resolve());
      });
      this.spec = spec;
    } else if (spec.startsWith("tcp:")) {
      const rest = spec.slice(4);
      const colon = rest.lastIndexOf(":");
      const host = rest.slice(0, colon);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(Number(rest.slice(colon + 1)), host, () => resolve());
      });
      this.spec = `tcp:${host}:${(server.address() as AddressInfo).port}`;
    } else throw new Error(`E_OPTIONS: listen takes unix:PATH or tcp:HOST:PORT, not ${spec}`);
    return this.spec;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    this.socket = undefined;
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (this.spec.startsWith("unix:") && existsSync(this.spec.slice(5))) unlinkSync(this.spec.slice(5));
  }

  /** True while a runtime is connected. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  private accept(s: Socket): void {
    this.socket?.destroy();
    this.socket = s;
    this.stats.connections++;
    this.text = "";
    this.reinstall();
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      this.text += d;
      for (let i = this.text.indexOf("\n"); i >= 0; i = this.text.indexOf("\n")) {
        const line = this.text.slice(0, i);
        this.text = this.text.slice(i + 1);
        if (line) this.handleLine(line);
      }
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      if (this.socket === s) this.socket = undefined;
    });
  }

  /** A new process or a reboot: the devices forget every handle of the previous boot. */
  private reinstall(): void {
    this.byId.clear();
    this.byHandle.clear();
    this.held = [];
    const api: HostApi = {
      post: (kind, id, a, b) => this.post(kind, id, a, b),
      newHandlerId: () => this.nextId++,
      clock: this.clock,
    };
    this.fns = installPlain(this.options.extras, api);
  }

  private send(line: string): void {
    this.options.onLine?.("out", line);
    this.socket?.write(line + "\n");
  }

  private event(h: number, ev: string, fields: Record<string, unknown> = {}): void {
    this.stats.events++;
    const line = "E " + JSON.stringify({ h, ev, ...fields });
    if (this.inRequest) this.held.push(line);
    else this.send(line);
  }

  /** What a device posted for the engine, as protocol events. */
  private post(kind: string, id: number, a?: string | number, b?: string | number): void {
    const m = this.byId.get(id);
    if (!m) return;
    switch (kind) {
      case "present":
      case "removed":
        this.event(m.h, kind);
        return;
      case "readable": {
        // One message (ATR/ATS or response) per "readable": take it out of the reader's inbox now.
        for (;;) {
          const msg = this.fns.cardRead?.(id) as Uint8Array | undefined;
          if (!msg) break;
          this.event(m.h, "message", { data: hexOf(msg) });
        }
        return;
      }
      case "error":
        this.event(m.h, "error", { code: String(a), message: String(b ?? "") });
        return;
      case "swipe":
        this.event(m.h, "swipe", JSON.parse(String(a)) as Record<string, unknown>);
        return;
      case "key":
        this.event(m.h, "key", { key: a });
        return;
      case "pin":
        this.event(m.h, "pinkey", { count: a });
        return;
      case "pindone":
        this.unmap(id);
        this.event(m.h, "pindone", JSON.parse(String(a)) as Record<string, unknown>);
        return;
      default:
        this.event(m.h, kind, { a, b });
    }
  }

  private map(kind: HandleKind, h: number, id: number): void {
    this.byId.set(id, { h, kind });
    this.byHandle.set(`${kind}:${h}`, id);
  }

  private unmap(id: number): void {
    const m = this.byId.get(id);
    if (!m) return;
    this.byId.delete(id);
    this.byHandle.delete(`${m.kind}:${m.h}`);
  }

  private idOf(kind: HandleKind, h: unknown): number {
    const id = this.byHandle.get(`${kind}:${String(h)}`);
    if (id === undefined) throw new Error(`E_${kind === "card" ? "CARD" : "DEVICE"}_CLOSED: no open ${kind} with handle ${String(h)}`);
    return id;
  }

  private fn(name: string): (...args: unknown[]) => unknown {
    const f = this.fns[name];
    if (!f) throw new Error(`E_NATIVE_MISSING: no device plays ${name}`);
    return f;
  }

  private handleLine(line: string): void {
    this.options.onLine?.("in", line);
    const tag = line[0];
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line.slice(2)) as Record<string, unknown>;
    } catch {
      this.stats.errors++;
      return;
    }
    const op = String(msg.op);
    if (tag === "N") {
      this.stats.notices++;
      try {
        this.notice(op, msg);
      } catch {
        this.stats.errors++;
      }
      return;
    }
    if (tag !== "Q") {
      this.stats.errors++;
      return;
    }
    this.stats.requests++;
    this.inRequest = true;
    let reply: string;
    try {
      const result = this.request(op, msg);
      reply = "R " + JSON.stringify({ id: msg.id, result: result === undefined ? null : result });
    } catch (e) {
      this.stats.errors++;
      reply = "R " + JSON.stringify({ id: msg.id, error: codeOf(e) });
    }
    this.inRequest = false;
    this.send(reply);
    for (const l of this.held.splice(0)) this.send(l);
  }

  private notice(op: string, m: Record<string, unknown>): void {
    switch (op) {
      case "boot":
        this.stats.boots++;
        this.reinstall();
        return;
      case "card.close": {
        const id = this.idOf("card", m.h);
        this.unmap(id);
        this.fn("cardClose")(id);
        return;
      }
      case "magstripe.close": {
        const id = this.idOf("magstripe", m.h);
        this.unmap(id);
        this.fn("magstripeClose")(id);
        return;
      }
      case "keypad.close": {
        const id = this.idOf("keypad", m.h);
        this.unmap(id);
        this.fn("keypadClose")(id);
        return;
      }
      case "display.clear":
        this.fn("displayClear")();
        return;
      case "display.text":
        this.fn("displayText")(m.row, String(m.text ?? ""), JSON.stringify(m.options ?? {}));
        return;
      case "display.flush":
        this.fn("displayFlush")();
        return;
      default:
        throw new Error(`E_DEVICE_OP: unknown notice ${op}`);
    }
  }

  private request(op: string, m: Record<string, unknown>): unknown {
    switch (op) {
      case "hello": {
        this.stats.hello = { board: m.board as string | undefined, version: m.version as number | undefined };
        const info = this.fns.displayInfo ? (this.fns.displayInfo() as { rows: number; columns: number }) : this.options.display ?? { rows: 0, columns: 0 };
        return { display: { rows: info.rows, columns: info.columns } };
      }
      case "card.open": {
        const id = this.fn("cardOpen")(String(m.slot)) as number;
        this.map("card", Number(m.h), id);
        return { present: this.fn("cardPresent")(id) === true };
      }
      case "card.powerOn":
        this.fn("cardPowerOn")(this.idOf("card", m.h));
        return null;
      case "card.transmit": {
        const apdu = bytesOf(m.apdu, "apdu");
        this.fn("cardTransmit")(this.idOf("card", m.h), apdu, 0, apdu.length);
        return null;
      }
      case "card.powerOff":
        this.fn("cardPowerOff")(this.idOf("card", m.h));
        return null;
      case "magstripe.open":
        this.map("magstripe", Number(m.h), this.fn("magstripeOpen")() as number);
        return null;
      case "keypad.open":
        this.map("keypad", Number(m.h), this.fn("keypadOpen")() as number);
        return null;
    }
    if (op.startsWith("ped.")) return this.ped(op.slice(4), m);
    throw new Error(`E_DEVICE_OP: unknown request ${op}`);
  }

  private ped(op: string, m: Record<string, unknown>): unknown {
    const args = (m.args ?? {}) as Record<string, unknown>;
    const call = (o: string) => this.fn("pedCall")(o, JSON.stringify(args));
    switch (op) {
      case "loadKey":
      case "kcv":
      case "mac":
      case "encrypt":
        return String(call(op));
      case "hasKey":
        return call(op) === "1";
      case "erase":
      case "cancelPinEntry":
        call(op);
        return null;
      case "pinEntry": {
        const id = call(op) as number;
        this.map("pin", Number(m.h), id);
        return null;
      }
      default:
        throw new Error(`E_PED_OP: unknown PED operation ${op}`);
    }
  }
}
