/**
 * Frames of the test agent on the debug UART: SYNC (A5 5A), length (u16 BE), CBOR payload, CRC-32 (BE)
 * over length and payload. A UART can drop, garble or add bytes: the decoder skips to the next sync on
 * any damage and counts what it threw away, so a bad frame costs one command, never the link.
 */
import { crc32 } from "../core/crc32";

export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const MAX_PAYLOAD = 4096;
const OVERHEAD = 8;

/** Wraps a payload into one frame. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw Object.assign(new Error(`E_FRAME_TOO_BIG: ${payload.length} B`), { code: "E_FRAME_TOO_BIG" });
  const out = new Uint8Array(payload.length + OVERHEAD);
  out[0] = SYNC0;
  out[1] = SYNC1;
  out[2] = payload.length >> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, 4);
  const c = crc32(out, 2, payload.length + 2);
  const at = 4 + payload.length;
  out[at] = Math.floor(c / 0x1000000);
  out[at + 1] = (c >>> 16) & 0xff;
  out[at + 2] = (c >>> 8) & 0xff;
  out[at + 3] = c & 0xff;
  return out;
}

export class FrameDecoder {
  private buf = new Uint8Array(512);
  private len = 0;
  /** Bytes discarded while looking for a valid frame (noise, damaged frames). */
  discarded = 0;
  frames = 0;

  constructor(private readonly onFrame: (payload: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      let size = this.buf.length;
      while (size < this.len + bytes.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.scan(false);
  }

  /**
   * The line went quiet: a frame still incomplete will never complete (its length was damaged, or
   * the sender stopped), so look past it for frames behind it and drop the rest.
   */
  idle(): void {
    this.scan(true);
  }

  private scan(final: boolean): void {
    const b = this.buf;
    let start = 0; // first byte not yet delivered or discarded
    let i = 0;
    for (;;) {
      while (i + 1 < this.len && !(b[i] === SYNC0 && b[i + 1] === SYNC1)) i++;
      if (i + 4 > this.len) break;
      const n = (b[i + 2]! << 8) | b[i + 3]!;
      if (n > MAX_PAYLOAD) {
        i++; // a sync pattern inside noise, not a frame
        continue;
      }
      if (i + OVERHEAD + n > this.len) {
        if (!final) break; // wait for the rest
        i++;
        continue;
      }
      const at = i + 4 + n;
      const want = b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
      if (crc32(b, i + 2, n + 2) !== want) {
        i++;
        continue;
      }
      this.discarded += i - start;
      this.frames++;
      this.onFrame(b.slice(i + 4, at));
      i = at + 4;
      start = i;
    }
    // Nothing before i can start a frame any more; keep the rest (a partial frame or a lone sync byte).
    if (final) i = this.len;
    this.discarded += i - start;
    b.set(b.subarray(i, this.len), 0);
    this.len -= i;
  }
}
