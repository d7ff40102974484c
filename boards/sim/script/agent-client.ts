/**
 * Node side of the firmware's test agent (firmware/agent/agent.ts): a SerialDevice on the sim's `debug` port that
 * speaks CBOR (cbor-x) in the agent's frames — SYNC A5 5A, u16 BE length, payload, CRC-32 BE over length + payload —
 * written here independently of the firmware's frame.ts (the two cross-check each other).
 *
 * Virtual time: between requests the client holds the engine's clock (DeviceHost.hold), so it does not jump while
 * Node thinks; during a request it lets go, so the terminal's timeouts cost no real time.
 */
import { Encoder, decode } from "cbor-x";
import type { DeviceHost, SerialDevice } from "../engine-host.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const enc = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false } as ConstructorParameters<typeof Encoder>[0]);

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(payload.length + 8);
  out[0] = 0xa5;
  out[1] = 0x5a;
  out.writeUInt16BE(payload.length, 2);
  Buffer.from(payload).copy(out, 4);
  out.writeUInt32BE(crc32(out.subarray(2, 4 + payload.length)), 4 + payload.length);
  return out;
}

export function encodeMessage(v: unknown): Buffer {
  return frame(enc.encode(v));
}

/** Splits a byte stream into the payloads of valid frames (resyncs on damage); counts bytes thrown away. */
export class FrameReader {
  private buf = Buffer.alloc(0);
  discarded = 0;
  constructor(private readonly onPayload: (p: Buffer) => void) {}
  push(bytes: Uint8Array): void {
    this.buf = Buffer.concat([this.buf, bytes]);
    let i = 0;
    for (;;) {
      while (i + 1 < this.buf.length && !(this.buf[i] === 0xa5 && this.buf[i + 1] === 0x5a)) i++;
      if (i + 4 > this.buf.length) break;
      const n = this.buf.readUInt16BE(i + 2);
      if (n > 4096) {
        i++;
        continue;
      }
      if (i + 8 + n > this.buf.length) break;
      if (crc32(this.buf.subarray(i + 2, i + 4 + n)) !== this.buf.readUInt32BE(i + 4 + n)) {
        i++;
        continue;
      }
      this.discarded += i;
      this.onPayload(Buffer.from(this.buf.subarray(i + 4, i + 4 + n)));
      this.buf = this.buf.subarray(i + 8 + n);
      i = 0;
    }
    this.discarded += Math.max(0, i - 1);
    this.buf = this.buf.subarray(Math.max(0, i - 1));
  }
}

export interface AgentFailure extends Error {
  code: string;
  reversal?: string;
}

type Pending = { resolve(v: any): void; reject(e: any): void; op: string };

export class AgentClient implements SerialDevice {
  private toFw: ((b: Uint8Array) => void) | undefined;
  private host: DeviceHost | undefined;
  private release: (() => void) | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readyWaiters: Array<() => void> = [];
  private ready = false;
  private reader = new FrameReader((p) => this.onPayload(p));
  /** Every event the agent pushed. */
  readonly events: any[] = [];
  /** The panel as the agent last reported it. */
  screen: string[] = [];
  /** Called for every event (screen, txn, printed, failure, swipe, ready). */
  readonly listeners: Array<(e: any) => void> = [];
  /** Bytes the next writes get mixed with (tests: noise on the debug line). */
  noise: ((frame: Buffer) => Buffer) | undefined;
  boots = 0;

  attach(toFirmware: (bytes: Uint8Array) => void, host?: DeviceHost): void {
    this.toFw = toFirmware;
    this.host = host;
    this.boots++;
    this.reader = new FrameReader((p) => this.onPayload(p));
    this.hold();
  }

  detach(): void {
    this.toFw = undefined;
    this.ready = false;
    this.letGo();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(Object.assign(new Error(`E_AGENT_GONE: the engine stopped during ${p.op}`), { code: "E_AGENT_GONE" }));
    }
  }

  get discarded(): number {
    return this.reader.discarded;
  }

  private hold(): void {
    if (!this.release && this.host && this.free === 0) this.release = this.host.hold();
  }

  /** Open `during` waits: the clock stays free while any runs (test/hil). */
  private free = 0;

  /**
   * Lets the engine's clock run until `p` settles (the HIL harness waiting for a screen, an event, a power-on or the
   * host): requests answered meanwhile do not hold it again.
   */
  async during<T>(p: Promise<T>): Promise<T> {
    this.free++;
    this.letGo();
    try {
      return await p;
    } finally {
      this.free--;
      if (this.free === 0 && this.pending.size === 0 && this.toFw) this.hold();
    }
  }

  private letGo(): void {
    const r = this.release;
    this.release = undefined;
    r?.();
  }

  receive(bytes: Uint8Array): void {
    this.reader.push(bytes);
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
        this.ready = true;
        const w = this.readyWaiters;
        this.readyWaiters = [];
        for (const f of w) f();
      }
      for (const l of this.listeners) l(msg);
      return;
    }
    const pend = this.pending.get(msg?.id);
    if (!pend) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.hold();
    if (msg.ok) pend.resolve(msg.result);
    else pend.reject(Object.assign(new Error(`${msg.error?.code}: ${msg.error?.message}`), msg.error));
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends raw bytes on the debug line (tests). */
  raw(bytes: Uint8Array): void {
    this.toFw?.(bytes);
  }

  /** One request; resolves with its result or rejects with the agent's typed error. */
  async call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.whenReady();
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject, op }));
    let f = encodeMessage({ id, op, args });
    if (this.noise) f = this.noise(f);
    this.toFw!(f);
    this.letGo();
    return p;
  }

  /** Resolves with the first screen (current or coming) whose text matches. */
  waitScreen(re: RegExp, timeoutMs = 30000): Promise<string[]> {
    if (re.test(this.screen.join("\n"))) return Promise.resolve(this.screen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        remove();
        reject(new Error(`no screen matching ${re} within ${timeoutMs} ms; last:\n${this.screen.join("\n")}`));
      }, timeoutMs);
      const l = (e: any) => {
        if (e.ev === "screen" && re.test(e.lines.join("\n"))) {
          clearTimeout(t);
          remove();
          resolve(e.lines);
        }
      };
      const remove = () => {
        const i = this.listeners.indexOf(l);
        if (i >= 0) this.listeners.splice(i, 1);
      };
      this.listeners.push(l);
    });
  }

  /** Presses keys through the agent and waits until the UI shows a screen matching `re`. */
  async keys(keys: string[], re?: RegExp): Promise<string[]> {
    const w = re ? this.waitScreen(re) : undefined;
    // Keep a promise on the pending screen so a rejection is never unhandled.
    w?.catch(() => undefined);
    await this.call("keys", { keys });
    if (w) {
      // the UI needs virtual time to run: let go of the clock until the screen shows
      this.letGo();
      try {
        return await w;
      } finally {
        this.hold();
      }
    }
    return this.screen;
  }
}
