/**
 * The terminal's log as a ring of records in the flash "log" partition: the newest entries survive
 * power cuts and reboots, the oldest sector is erased when the ring wraps. Each record carries its own
 * CRC, so a record torn by a power cut is skipped. Text is sanitized before it reaches flash: a PAN is
 * kept as first 6 / last 4, long hex runs (keys, PIN blocks, MACs, tracks) are removed.
 */
import { crc32 } from "../core/crc32";
import { utf8Decode, utf8Encode } from "../core/utf8";

const MAGIC = 0x4c; // "L"
const HEADER = 12; // magic u8, level u8, len u16, seq u32, time u32 (s)
const TRAILER = 4; // CRC-32 over header + text
const MAX_TEXT = 240;

export interface LogEntry {
  seq: number;
  /** Seconds since the epoch (RTC; 0 when unknown). */
  time: number;
  level: number;
  text: string;
}

const PAN_RUN = /\d{13,19}/g;
const HEX_RUN = /[0-9A-Fa-f]{16,}/g;

/** What may go to flash or off the terminal: PANs masked, key-like hex removed. */
export function sanitize(text: string): string {
  return text
    .replace(PAN_RUN, (pan) => pan.slice(0, 6) + "*".repeat(pan.length - 10) + pan.slice(-4))
    .replace(HEX_RUN, (h) => `[${h.length / 2 | 0}B]`);
}

export class LogRing {
  private sector = 0;
  private off = 0;
  private seq = 0;
  private readonly hdr = new Uint8Array(HEADER);

  constructor(private readonly flash: Natives.Flash, private readonly first: number, private readonly count: number) {
    this.mount();
  }

  private base(s: number): number {
    return (this.first + s) * this.flash.sectorSize;
  }

  /** Walks one sector's records: calls `fn` for each intact one; returns the offset after the last. */
  private walk(s: number, fn?: (e: LogEntry) => void): number {
    const size = this.flash.sectorSize;
    let off = 0;
    while (off + HEADER + TRAILER <= size) {
      this.flash.read(this.base(s) + off, HEADER, this.hdr);
      const h = this.hdr;
      if (h[0] !== MAGIC) return off; // erased (0xFF) or torn header: the end of this sector's log
      const len = h[2]! | (h[3]! << 8);
      if (len > MAX_TEXT * 4 || off + HEADER + len + TRAILER > size) return off;
      const rec = this.flash.read(this.base(s) + off, HEADER + len + TRAILER);
      const want = rec[HEADER + len]! * 0x1000000 + ((rec[HEADER + len + 1]! << 16) | (rec[HEADER + len + 2]! << 8) | rec[HEADER + len + 3]!);
      const seq = rec[4]! + rec[5]! * 0x100 + rec[6]! * 0x10000 + rec[7]! * 0x1000000;
      if (crc32(rec, 0, HEADER + len) === want) {
        if (seq > this.seq) this.seq = seq;
        fn?.({ seq, time: rec[8]! + rec[9]! * 0x100 + rec[10]! * 0x10000 + rec[11]! * 0x1000000, level: rec[1]!, text: utf8Decode(rec, HEADER, len) });
      }
      off += (HEADER + len + TRAILER + 3) & ~3;
    }
    return off;
  }

  private mount(): void {
    // The head is the sector holding the highest sequence number.
    let best = -1;
    let bestSeq = -1;
    for (let s = 0; s < this.count; s++) {
      const before = this.seq;
      this.seq = 0;
      this.walk(s);
      if (this.seq > bestSeq) {
        bestSeq = this.seq;
        best = s;
      }
      this.seq = Math.max(before, this.seq);
    }
    this.sector = best < 0 ? 0 : best;
    this.off = this.walk(this.sector);
  }

  /** Appends one entry (sanitized, truncated to 240 characters). */
  append(level: number, text: string, timeSec: number): void {
    const body = utf8Encode(sanitize(text).slice(0, MAX_TEXT));
    const total = (HEADER + body.length + TRAILER + 3) & ~3;
    if (this.off + total > this.flash.sectorSize) {
      this.sector = (this.sector + 1) % this.count;
      this.flash.erase(this.first + this.sector); // the oldest entries go
      this.off = 0;
    }
    const seq = ++this.seq;
    const rec = new Uint8Array(total).fill(0xff);
    rec[0] = MAGIC;
    rec[1] = level & 0xff;
    rec[2] = body.length & 0xff;
    rec[3] = body.length >> 8;
    for (let i = 0; i < 4; i++) {
      rec[4 + i] = Math.floor(seq / Math.pow(256, i)) & 0xff;
      rec[8 + i] = Math.floor(timeSec / Math.pow(256, i)) & 0xff;
    }
    rec.set(body, HEADER);
    const c = crc32(rec, 0, HEADER + body.length);
    rec[HEADER + body.length] = Math.floor(c / 0x1000000);
    rec[HEADER + body.length + 1] = (c >>> 16) & 0xff;
    rec[HEADER + body.length + 2] = (c >>> 8) & 0xff;
    rec[HEADER + body.length + 3] = c & 0xff;
    this.flash.program(this.base(this.sector) + this.off, rec);
    this.off += total;
  }

  /** Every intact entry, oldest first. */
  entries(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let k = 1; k <= this.count; k++) this.walk((this.sector + k) % this.count, (e) => out.push(e));
    return out;
  }
}
