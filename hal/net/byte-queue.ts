/**
 * Received bytes waiting for a reader: chunks kept as they arrived (no copy on arrival), handed out in
 * pieces of at most `max` bytes. Shared by the 4G module's TCP socket and the dial-up call.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes queued. */
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Up to `max` bytes from the front (a view into the received chunk); empty when nothing is queued. */
  take(max: number): Uint8Array {
    const first = this.chunks[0];
    if (!first) return new Uint8Array(0);
    const avail = first.length - this.head;
    let out: Uint8Array;
    if (avail <= max) {
      out = this.head === 0 ? first : first.subarray(this.head);
      this.chunks.shift();
      this.head = 0;
    } else {
      out = first.subarray(this.head, this.head + max);
      this.head += max;
    }
    this.length -= out.length;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }
}

/**
 * Exactly `n` bytes from a socket's `read`, within `timeoutMs` overall (a length-prefixed message);
 * `timeout(filled)` builds the socket's own typed error.
 */
export async function readExactly(
  read: (timeoutMs: number, max: number) => Promise<Uint8Array>,
  now: () => number,
  n: number,
  timeoutMs: number,
  timeout: (filled: number) => Error,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let fill = 0;
  const t0 = now();
  while (fill < n) {
    const left = timeoutMs - (now() - t0);
    if (left <= 0) throw timeout(fill);
    const c = await read(left, n - fill);
    out.set(c, fill);
    fill += c.length;
  }
  return out;
}
