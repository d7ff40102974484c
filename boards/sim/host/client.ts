/**
 * A small CUP 8583 client on the project's codec, for tests and desk tools: connects over TCP, sends frames,
 * reads whole frames (LEN + TPDU + header + body), one exchange at a time with optional MAC.
 */
import { connect, type Socket } from "node:net";
import { frameSize } from "../../../firmware/cup/frame.ts";
import { buildFrame, parseFrame, type Fields, type ParsedFrame } from "./codec.ts";
import { unhex } from "./keys.ts";
import { DEFAULT_HEADER_HEX, DEFAULT_TPDU_HEX } from "./factory.ts";

export class ClientError extends Error {
  constructor(
    readonly code: "E_CLIENT_TIMEOUT" | "E_CLIENT_CLOSED" | "E_CLIENT_CONNECT",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface ExchangeOptions {
  /** MAK: field 64 is computed and sent. */
  mak?: Uint8Array;
  timeoutMs?: number;
}

export class HostClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private readonly frames: Uint8Array[] = [];
  /** Set once the peer closed (or the socket failed). */
  ended = false;
  /** Bytes received in all. */
  received = 0;
  tpdu = unhex(DEFAULT_TPDU_HEX);
  header = unhex(DEFAULT_HEADER_HEX);

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => this.data(d));
    const end = () => {
      this.ended = true;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        clearTimeout(w.timer);
        w.reject(new ClientError("E_CLIENT_CLOSED", `host closed the connection (${this.buf.length} bytes of a partial frame)`));
      }
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", () => end());
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 5000): Promise<HostClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      const t = setTimeout(() => {
        s.destroy();
        reject(new ClientError("E_CLIENT_CONNECT", `no connection to ${host}:${port} in ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(t);
        s.setNoDelay(true);
        resolve(new HostClient(s));
      });
      s.once("error", (e) => {
        clearTimeout(t);
        reject(new ClientError("E_CLIENT_CONNECT", e.message));
      });
    });
  }

  private data(d: Buffer): void {
    this.received += d.length;
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) break;
      let size: number;
      try {
        size = frameSize(this.buf);
      } catch {
        size = this.buf.length + 1; // not a frame: keep the bytes, raw() shows them
      }
      if (this.buf.length < size) break;
      const f = new Uint8Array(this.buf.subarray(0, size));
      this.buf = this.buf.subarray(size);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        clearTimeout(w.timer);
        w.resolve(f);
      } else this.frames.push(f);
    }
  }

  /** Bytes received that do not (yet) make a frame. */
  pending(): Buffer {
    return this.buf;
  }

  send(bytes: Uint8Array): void {
    this.socket.write(Buffer.from(bytes));
  }

  /** The next whole frame from the host. */
  readFrame(timeoutMs = 5000): Promise<Uint8Array> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.ended) return Promise.reject(new ClientError("E_CLIENT_CLOSED", "connection closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new ClientError("E_CLIENT_TIMEOUT", `no frame in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = { resolve, reject, timer };
    });
  }

  /** Packs (with a MAC when `mak` is given), sends, and parses the next frame. */
  async exchange(mti: string, fields: Fields, opts: ExchangeOptions = {}): Promise<ParsedFrame & { frame: Uint8Array; request: Uint8Array }> {
    const request = buildFrame(this.tpdu, this.header, mti, fields, opts.mak);
    this.send(request);
    const frame = await this.readFrame(opts.timeoutMs);
    return { ...parseFrame(frame), frame, request };
  }

  /** Resolves when the host has closed the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new ClientError("E_CLIENT_TIMEOUT", `still open after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
