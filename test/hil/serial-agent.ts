/**
 * The test agent's client over a real serial port (the `serialport` npm package): a board's debug UART through a
 * USB-serial adapter, or the pty that boards/sim/hil-board.ts gives the simulated board. Frames and CBOR are
 * boards/sim/script/agent-client.ts's (cbor-x, SYNC A5 5A, u16 length, CRC-32), so both targets speak the same bytes.
 *
 * A board that reboots (power cut, reset) says "ready" again: requests still waiting then fail with E_AGENT_GONE, as
 * on the sim target when its engine stops.
 */
import { SerialPort } from "serialport";
import { decode } from "cbor-x";
import { encodeMessage, FrameReader } from "../../boards/sim/script/agent-client.ts";
import type { AgentEvent, AgentLink } from "./target.ts";

type Pending = { resolve(v: any): void; reject(e: any): void; op: string };

export class SerialAgent implements AgentLink {
  readonly events: AgentEvent[] = [];
  readonly listeners: Array<(e: AgentEvent) => void> = [];
  screen: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private ready = false;
  private readyWaiters: Array<() => void> = [];
  private readonly reader = new FrameReader((p) => this.onPayload(p));
  private closed = false;

  private constructor(private readonly port: SerialPort) {
    port.on("data", (d: Buffer) => this.reader.push(d));
    port.on("error", () => undefined);
    port.on("close", () => this.gone("the serial port closed"));
  }

  /** Opens the port; the agent is taken as ready once it answers `hello` (a board already running says no "ready"). */
  static async open(path: string, baudRate = 115200, helloMs = 20000): Promise<SerialAgent> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new Error(`E_HIL_PORT: ${path}: ${e.message}`)) : resolve())));
    const a = new SerialAgent(port);
    // A board booting right now answers after its "ready"; one already up answers at once.
    const deadline = Date.now() + helloMs;
    for (;;) {
      try {
        await a.request("hello", {}, 2000);
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          await a.close();
          throw new Error(`E_HIL_NO_AGENT: no answer to "hello" on ${path} within ${helloMs} ms (an image without the test agent?): ${(e as Error).message}`);
        }
      }
    }
    a.setReady();
    return a;
  }

  get discarded(): number {
    return this.reader.discarded;
  }

  private setReady(): void {
    this.ready = true;
    const w = this.readyWaiters.splice(0);
    for (const f of w) f();
  }

  private gone(why: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(Object.assign(new Error(`E_AGENT_GONE: ${why} during ${p.op}`), { code: "E_AGENT_GONE" }));
    }
  }

  /** Requests waiting for an answer. */
  get waiting(): number {
    return this.pending.size;
  }

  /** The bench saw the board stop (its console says so): what was asked will not be answered. */
  boardStopped(why: string): void {
    this.ready = false;
    this.gone(why);
  }

  /** The rig cut the power: what was asked will not be answered; wait for the next "ready". */
  powerLost(): void {
    this.ready = false;
    this.gone("the board lost power");
  }

  private onPayload(p: Buffer): void {
    let msg: any;
    try {
      msg = decode(p);
    } catch {
      return;
    }
    if (msg && msg.ev !== undefined) {
      this.events.push(msg);
      if (msg.ev === "screen") this.screen = msg.lines;
      if (msg.ev === "ready") {
        this.gone("the board restarted");
        this.setReady();
      }
      for (const l of this.listeners.slice()) l(msg);
      return;
    }
    const pend = this.pending.get(msg?.id);
    if (!pend) return;
    this.pending.delete(msg.id);
    if (msg.ok) pend.resolve(msg.result);
    else pend.reject(Object.assign(new Error(`${msg.error?.code}: ${msg.error?.message}`), msg.error));
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private request<T>(op: string, args: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (this.closed) return Promise.reject(Object.assign(new Error("E_AGENT_GONE: port closed"), { code: "E_AGENT_GONE" }));
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject, op }));
    this.port.write(encodeMessage({ id, op, args }));
    if (timeoutMs === undefined) return p;
    let t: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<T>((_, reject) => {
        t = setTimeout(() => {
          this.pending.delete(id);
          reject(Object.assign(new Error(`E_AGENT_TIMEOUT: no answer to ${op} in ${timeoutMs} ms`), { code: "E_AGENT_TIMEOUT" }));
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(t));
  }

  async call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.whenReady();
    return this.request<T>(op, args);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gone("closed");
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
