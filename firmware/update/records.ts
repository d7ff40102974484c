/**
 * A power-fail-safe fixed-size record on two flash sectors (the boot-control record, the download progress):
 * each write appends a new copy with a higher sequence number and a CRC-32 in the next free slot of the current
 * sector; when it is full the other sector (older copies only) is erased and written. A read takes the valid copy
 * (magic + CRC) with the highest sequence. A torn write leaves a copy that fails its CRC: the one before stands.
 *
 * Layout of one copy (`size` bytes, little-endian): magic u32 | seq u32 | payload (size - 12) | crc32 u32 over
 * everything before it. Simple enough for a C boot loader to read (docs/firmware-update.md).
 */
import { crc32 } from "../core/crc32";
import { CoreError } from "../core/errors";

export interface RecordSpace {
  flash: Natives.Flash;
  /** First sector and count (2) of the partition. */
  first: number;
  count: number;
}

export class RecordRing {
  private seq = 0;
  private at = -1; // byte offset of the newest copy, -1 = none
  private readonly buf: Uint8Array;

  constructor(private readonly space: RecordSpace, readonly magic: number, readonly size: number) {
    if (space.count < 2) throw new CoreError("E_UPDATE_PARTITION", "a record ring needs two sectors");
    this.buf = new Uint8Array(size);
  }

  private get sectorSize(): number {
    return this.space.flash.sectorSize;
  }

  /** The newest valid payload (a copy), or undefined. */
  read(): Uint8Array | undefined {
    const f = this.space.flash;
    const ss = this.sectorSize;
    const per = Math.floor(ss / this.size);
    let best: Uint8Array | undefined;
    let bestSeq = -1;
    let bestAt = -1;
    for (let s = 0; s < 2; s++) {
      const base = (this.space.first + s) * ss;
      const sector = f.read(base, per * this.size);
      for (let i = 0; i < per; i++) {
        const o = i * this.size;
        const m = le32(sector, o);
        if (m === 0xffffffff) break; // erased: nothing after it in this sector
        if (m !== this.magic) continue;
        if ((crc32(sector, o, this.size - 4) >>> 0) !== le32(sector, o + this.size - 4)) continue;
        const q = le32(sector, o + 4);
        if (q > bestSeq) {
          bestSeq = q;
          bestAt = base + o;
          best = sector.slice(o + 8, o + this.size - 4);
        }
      }
    }
    this.seq = bestSeq < 0 ? 0 : bestSeq;
    this.at = bestAt;
    return best;
  }

  /** Writes a new copy of `payload` (size - 12 bytes). */
  write(payload: Uint8Array): void {
    if (payload.length !== this.size - 12) throw new CoreError("E_UPDATE_RECORD", `payload of ${payload.length} B, the record holds ${this.size - 12}`);
    if (this.at < 0 && this.seq === 0) this.read();
    const f = this.space.flash;
    const ss = this.sectorSize;
    const per = Math.floor(ss / this.size);
    let next: number;
    if (this.at < 0) {
      next = this.space.first * ss;
      if (!this.isErased(next)) {
        f.erase(this.space.first);
      }
    } else {
      const sector = Math.floor(this.at / ss);
      const slot = (this.at - sector * ss) / this.size + 1;
      if (slot < per && this.isErased(sector * ss + slot * this.size)) next = sector * ss + slot * this.size;
      else {
        const other = sector === this.space.first ? this.space.first + 1 : this.space.first;
        f.erase(other);
        next = other * ss;
      }
    }
    const b = this.buf;
    const seq = this.seq + 1;
    putLe32(b, 0, this.magic);
    putLe32(b, 4, seq);
    b.set(payload, 8);
    putLe32(b, this.size - 4, crc32(b, 0, this.size - 4) >>> 0);
    f.program(next, b);
    this.seq = seq;
    this.at = next;
  }

  private isErased(off: number): boolean {
    const r = this.space.flash.read(off, this.size);
    for (let i = 0; i < r.length; i++) if (r[i] !== 0xff) return false;
    return true;
  }
}

export function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function putLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
