/**
 * A terminal-management system (TMS) for the simulator: offers one signed firmware image over real TCP on
 * 127.0.0.1, in chunks by offset (so a terminal resumes where it stopped). Wire format: firmware/update/updater.ts
 * (2-byte big-endian length + CBOR map; the firmware's own CBOR codec on both sides).
 *
 * Faults for tests: `dropAfterChunks` closes the connection after that many chunks (per connection),
 * `serveBytes` pretends the image ends early (a truncated upload on the server), `prefixOverride` offers other
 * header bytes than the image holds.
 */
import { createServer, type Server, type Socket } from "node:net";
import { cborDecode, cborEncode } from "../../../firmware/core/cbor.ts";
import { PREFIX_BYTES } from "../../../firmware/update/image.ts";

export interface TmsOptions {
  image?: Uint8Array;
  /** Version the offer announces (the header's otherwise). */
  version?: string;
  dropAfterChunks?: number;
  serveBytes?: number;
  prefixOverride?: Uint8Array;
}

export interface TmsStats {
  connections: number;
  offers: number;
  chunks: number;
  bytes: number;
  offsets: number[];
}

export class TmsServer {
  readonly stats: TmsStats = { connections: 0, offers: 0, chunks: 0, bytes: 0, offsets: [] };
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(public options: TmsOptions = {}) {}

  async start(): Promise<number> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(s: Socket): void {
    this.stats.connections++;
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
    s.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    let chunks = 0;
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const req = cborDecode(new Uint8Array(buf.subarray(2, 2 + n))) as Record<string, unknown>;
        buf = buf.subarray(2 + n);
        const answer = this.answer(req);
        if (req.op === "chunk") {
          chunks++;
          if (this.options.dropAfterChunks !== undefined && chunks > this.options.dropAfterChunks) {
            s.destroy();
            return;
          }
        }
        const body = cborEncode(answer as never);
        const head = Buffer.alloc(2);
        head.writeUInt16BE(body.length);
        s.write(Buffer.concat([head, Buffer.from(body)]));
      }
    });
  }

  private answer(req: Record<string, unknown>): Record<string, unknown> {
    const img = this.options.image;
    if (req.op === "offer") {
      this.stats.offers++;
      if (!img) return { none: true };
      const prefix = this.options.prefixOverride ?? img.subarray(0, Math.min(PREFIX_BYTES, img.length));
      const version = this.options.version ?? Buffer.from(img.subarray(24, 40)).toString("latin1").replace(/\0+$/, "");
      if (version === req.version) return { none: true };
      return { version, prefix: new Uint8Array(prefix), size: this.options.serveBytes ?? img.length };
    }
    if (req.op === "chunk") {
      if (!img) return { error: "no image" };
      const offset = Number(req.offset);
      const length = Math.min(Number(req.length), 8192);
      const end = Math.min(offset + length, this.options.serveBytes ?? img.length);
      const data = new Uint8Array(img.subarray(offset, Math.max(offset, end)));
      this.stats.chunks++;
      this.stats.bytes += data.length;
      this.stats.offsets.push(offset);
      return { offset, data };
    }
    return { error: `unknown op ${String(req.op)}` };
  }
}
