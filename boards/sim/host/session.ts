/**
 * One TCP connection: reassembles frames from the byte stream (LEN + TPDU + header + body), answers them in
 * order, and plays the scripted faults. Malformed input never reaches the other connections: a length too small
 * for TPDU + header or above `maxFrameBytes` closes this connection; a body that does not parse gets 39 = 30 when
 * its MTI is a request's, else the connection is closed; a partial frame is logged as truncated when the peer
 * closes or goes silent for `idleTimeoutMs`.
 */
import type { Socket } from "node:net";
import { frameSize, responseTpdu, splitFrame, TPDU_BYTES, HEADER_BYTES } from "../../../firmware/cup/frame.ts";
import { bodyOf, buildFrame, describeBody, parseBody, type ParsedMessage } from "./codec.ts";
import { processRequest, isRequestMti } from "./processor.ts";
import type { HostState, Answer } from "./state.ts";
import type { ScriptRules, Rule } from "./script.ts";
import { panOf } from "./handlers/financial.ts";
import { unhex } from "./keys.ts";

export class Session {
  private buf: Buffer = Buffer.alloc(0);
  private queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly s: HostState,
    private readonly rules: ScriptRules,
    private readonly onGone: (session: Session) => void,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.data(d));
    socket.on("error", (e) => this.event("error", { note: `socket: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
    socket.on("close", () => this.gone());
    this.touch();
  }

  private event(kind: Parameters<HostState["events"]["push"]>[0]["kind"], e: Omit<Parameters<HostState["events"]["push"]>[0], "kind" | "conn"> = {}): void {
    this.s.events.push({ conn: this.id, kind, ...e });
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    if (this.closed) return;
    this.idle = setTimeout(() => {
      if (this.buf.length) this.event("malformed", { note: `truncated frame: ${this.buf.length} bytes then ${this.s.config.idleTimeoutMs} ms of silence` });
      else this.event("note", { note: "idle: closing" });
      this.close();
    }, this.s.config.idleTimeoutMs);
  }

  private data(d: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) break;
      const len = this.buf.readUInt16BE(0);
      if (len < TPDU_BYTES + HEADER_BYTES) {
        this.event("malformed", { note: `frame length ${len} cannot hold TPDU and header: closing` });
        this.close();
        return;
      }
      if (len > this.s.config.maxFrameBytes) {
        this.event("malformed", { note: `frame length ${len} above the limit ${this.s.config.maxFrameBytes}: closing` });
        this.close();
        return;
      }
      const size = frameSize(this.buf);
      if (this.buf.length < size) break;
      this.queue.push(this.buf.subarray(0, size));
      this.buf = this.buf.subarray(size);
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && !this.closed) await this.frame(this.queue.shift()!);
    } finally {
      this.busy = false;
    }
  }

  private async frame(frame: Buffer): Promise<void> {
    const f = splitFrame(new Uint8Array(frame));
    const tpdu = responseTpdu(f.tpdu);
    const header = this.s.config.headerHex ? unhex(this.s.config.headerHex) : f.header.slice();
    let m: ParsedMessage;
    try {
      m = parseBody(f.body);
    } catch (e) {
      const code = (e as { code?: string }).code ?? String(e);
      const b = f.body;
      const mti = b.length >= 2 ? ((b[0]! >> 4) & 15).toString() + (b[0]! & 15) + (b[1]! >> 4) + (b[1]! & 15) : "";
      if (/^\d{4}$/.test(mti) && isRequestMti(mti)) {
        this.event("malformed", { mti, note: `body does not parse (${code}): answering 30` });
        const rmti = mti.substring(0, 2) + String(Number(mti[2]) + 1) + mti[3];
        await this.send(buildFrame(tpdu, header, rmti, { 39: "30" }), { mti: rmti, code: "30" });
      } else {
        this.event("malformed", { note: `body does not parse (${code}), no request MTI: closing` });
        this.close();
      }
      return;
    }
    const pan = panOf((n) => m.fields.get(n));
    this.event("request", { mti: m.mti, stan: m.fields.get(11), terminalId: m.fields.get(41), text: m.text });
    const rule = this.rules.onRequest({ message: m, pan: pan === "mismatch" ? undefined : pan });
    const act = rule?.action;
    if (act?.disconnect === "before") {
      this.fault(rule!, "disconnect before processing the request");
      this.close();
      return;
    }
    let answer: Answer | undefined;
    try {
      answer = processRequest(this.s, m, act?.respond);
    } catch (e) {
      this.event("error", { mti: m.mti, note: `processing failed: ${(e as Error).stack ?? String(e)}` });
      answer = { mti: m.mti.substring(0, 2) + String(Number(m.mti[2]) + 1) + m.mti[3], fields: { 11: m.fields.get(11), 39: "96", 41: m.fields.get(41), 42: m.fields.get(42) } };
    }
    if (!answer) {
      this.event("note", { mti: m.mti, note: "not a request: ignored" });
      return;
    }
    if (answer.note) this.event("note", { mti: m.mti, stan: m.fields.get(11), terminalId: m.fields.get(41), note: answer.note });
    if (act?.disconnect === "after") {
      this.fault(rule!, "processed, then disconnect without answering");
      this.close();
      return;
    }
    if (act?.drop) {
      this.fault(rule!, "processed, answer dropped");
      return;
    }
    const fields = { ...answer.fields };
    if (act?.wrongStan !== undefined && act.wrongStan !== false) {
      const stan = typeof act.wrongStan === "string" ? act.wrongStan : String((Number(m.fields.get(11) ?? "0") % 999999) + 1).padStart(6, "0");
      fields[11] = stan;
      this.fault(rule!, `answer carries trace ${stan} instead of ${m.fields.get(11)}`);
    }
    let macOverride: Uint8Array | undefined;
    let frameOut: Uint8Array;
    try {
      if (act?.corruptMac && answer.mak) {
        const good = bodyOf(buildFrame(tpdu, header, answer.mti, fields, answer.mak));
        const mac = good.subarray(good.length - 8).slice();
        mac[7] = mac[7] === 0x30 ? 0x31 : 0x30; // still a hex character, not the MAC
        macOverride = mac;
        this.fault(rule!, "answer MAC corrupted");
      } else if (act?.corruptMac) this.fault(rule!, "corruptMac: the answer has no MAC to corrupt");
      frameOut = buildFrame(tpdu, header, answer.mti, fields, macOverride ? undefined : answer.mak, macOverride);
    } catch (e) {
      this.event("error", { mti: answer.mti, note: `packing the answer failed: ${(e as Error).message}` });
      frameOut = buildFrame(tpdu, header, answer.mti, { 11: m.fields.get(11), 39: "96", 41: m.fields.get(41), 42: m.fields.get(42) });
    }
    if (act?.delayMs) {
      this.fault(rule!, `answer delayed ${act.delayMs} ms`);
      await this.sleep(act.delayMs);
      if (this.closed) {
        this.event("note", { mti: answer.mti, note: "peer gone before the delayed answer" });
        return;
      }
    }
    const info = { mti: answer.mti, stan: String(fields[11] ?? ""), terminalId: String(fields[41] ?? ""), code: String(fields[39] ?? ""), rule: rule?.id };
    if (act?.garbage !== undefined) {
      const g = typeof act.garbage === "number" ? new Uint8Array(act.garbage) : unhex(act.garbage);
      if (typeof act.garbage === "number") this.s.random(g);
      this.fault(rule!, `${g.length} bytes of garbage instead of the answer`);
      this.write(g);
      if (act.close) this.close();
      return;
    }
    if (act?.partial !== undefined) {
      const n = Math.min(act.partial, frameOut.length - 1);
      this.fault(rule!, `only ${n} of ${frameOut.length} bytes of the answer, then close`);
      this.write(frameOut.subarray(0, n));
      this.close();
      return;
    }
    if (act?.partialHold !== undefined) {
      const n = Math.min(act.partialHold, frameOut.length - 1);
      this.fault(rule!, `only ${n} of ${frameOut.length} bytes of the answer, then silence`);
      this.write(frameOut.subarray(0, n));
      return;
    }
    if (act?.corruptBytes !== undefined) {
      // Evenly spaced bytes of the body (after LEN + TPDU + header) inverted: the frame's length stays right.
      const bad = frameOut.slice();
      const from = 2 + TPDU_BYTES + HEADER_BYTES;
      const span = bad.length - from;
      for (let i = 0; i < act.corruptBytes; i++) {
        const at = from + Math.floor(((i + 0.5) * span) / act.corruptBytes);
        bad[at] = bad[at]! ^ 0xff;
      }
      this.fault(rule!, `${act.corruptBytes} bytes of the answer's body corrupted`);
      frameOut = bad;
    }
    await this.send(frameOut, info);
    if (act?.twice) {
      this.fault(rule!, "answer sent twice");
      await this.send(frameOut, info);
    }
    if (act?.close || this.s.config.closeAfterResponse) this.close();
  }

  private fault(rule: Rule, note: string): void {
    this.event("fault", { rule: rule.id, note });
  }

  private async send(frame: Uint8Array, info: { mti: string; stan?: string; terminalId?: string; code?: string; rule?: string }): Promise<void> {
    if (this.closed) return;
    this.event("response", { ...info, text: describeBody(bodyOf(frame)) });
    this.write(frame);
  }

  private write(b: Uint8Array): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(Buffer.from(b));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
    });
  }

  /** Stops pending delays (their answers are then not sent: the connection is gone). */
  private stopTimers(): void {
    for (const [t, resolve] of this.timers) {
      clearTimeout(t);
      resolve();
    }
    this.timers.clear();
  }

  /** Ends the connection (flushes what was written, then closes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    t.unref();
  }

  /** Destroys the connection at once (host shutdown). */
  destroy(): void {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.stopTimers();
    this.socket.destroy();
  }

  private gone(): void {
    if (this.buf.length && !this.closed) this.event("malformed", { note: `truncated frame: ${this.buf.length} bytes, then the peer closed` });
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.stopTimers();
    this.event("close");
    this.onGone(this);
  }
}
