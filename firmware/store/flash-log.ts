/**
 * The power-fail-safe store: a log of records on raw flash sectors, keyed by small integers.
 *
 * Everything that must survive a power cut (pending reversal, journal, trace and batch numbers,
 * parameters, key metadata) goes through here. Flash can only clear bits and erases whole sectors, so:
 * - a record is programmed with its state byte still 0xFF, then committed by programming that one byte
 *   to COMMITTED; a record torn anywhere before that is ignored on mount (and its CRC double-checks);
 * - several keys change atomically by putting them in one record (`commit([...])`);
 * - a full sector is followed by a fresh one (erased, then stamped with a higher sector sequence);
 *   compaction copies the live records out of the oldest sector (new sequence numbers win on mount)
 *   and only then erases it, so a cut at any point leaves either the old or the new copy, never neither.
 * Values stay in flash: the RAM index holds only key -> (offset, length).
 */
import { crc32 } from "../core/crc32";

export class StoreError extends Error {
  constructor(readonly code: "E_STORE_FULL" | "E_STORE_RECORD_TOO_BIG" | "E_STORE_KEY" | "E_STORE_PARTITION", message: string) {
    super(`${code}: ${message}`);
    this.name = "StoreError";
  }
}

const SECTOR_MAGIC = 0x464c4731; // "FLG1"
const SECTOR_HEADER = 16;
const RECORD_HEADER = 12;
const COMMITTED = 0x5a;
const DEAD = 0x00;
const T_PUT = 1;
const T_DELETE = 2;
const T_MULTI = 3;
const MAX_KEY = 0xfffe;

export interface StoreChange {
  key: number;
  /** undefined deletes the key. */
  value: Uint8Array | undefined;
}

interface Location {
  off: number;
  len: number;
  sector: number;
}

export interface StoreStats {
  sectors: number;
  liveKeys: number;
  liveBytes: number;
  freeBytesInHead: number;
  compactions: number;
  /** Records ignored on mount because a power cut tore them. */
  tornRecords: number;
}

export class FlashLog {
  private readonly index = new Map<number, Location>();
  /** Deleted keys -> sector of the delete record: kept while an older sector may still hold a put. */
  private readonly tombs = new Map<number, number>();
  /** Sector sequence per sector of the partition; 0 = not in use (free or garbage). */
  private readonly sectorSeq: number[];
  private head = -1;
  private headOff = 0;
  private recordSeq = 0;
  private maxSectorSeq = 0;
  private compactions = 0;
  private torn = 0;
  private readonly hdr = new Uint8Array(RECORD_HEADER);
  private readonly view = new DataView(this.hdr.buffer);

  /** Mounts the log on sectors [first, first+count) of `flash`, replaying what is there. */
  constructor(private readonly flash: Natives.Flash, private readonly first: number, private readonly count: number) {
    if (count < 2 || first < 0 || first + count > flash.sectorCount)
      throw new StoreError("E_STORE_PARTITION", `need at least 2 sectors inside the flash, got ${first}+${count}`);
    this.sectorSeq = new Array<number>(count).fill(0);
    this.mount();
  }

  private base(s: number): number {
    return (this.first + s) * this.flash.sectorSize;
  }

  private mount(): void {
    const sh = new Uint8Array(SECTOR_HEADER);
    const v = new DataView(sh.buffer);
    const order: number[] = [];
    for (let s = 0; s < this.count; s++) {
      this.flash.read(this.base(s), SECTOR_HEADER, sh);
      const seq = v.getUint32(4, true);
      if (v.getUint32(0, true) === SECTOR_MAGIC && ((seq ^ v.getUint32(8, true)) >>> 0) === 0xffffffff && seq !== 0) {
        this.sectorSeq[s] = seq;
        order.push(s);
        if (seq > this.maxSectorSeq) this.maxSectorSeq = seq;
      }
    }
    order.sort((a, b) => this.sectorSeq[a]! - this.sectorSeq[b]!);
    const seqOf = new Map<number, number>();
    for (const s of order) {
      const end = this.replaySector(s, seqOf);
      this.head = s;
      this.headOff = end;
    }
  }

  /** Replays one sector's committed records into the index; returns the append offset (or the end when closed). */
  private replaySector(s: number, seqOf: Map<number, number>): number {
    const size = this.flash.sectorSize;
    const base = this.base(s);
    let off = SECTOR_HEADER;
    while (off + RECORD_HEADER <= size) {
      this.flash.read(base + off, RECORD_HEADER, this.hdr);
      const state = this.hdr[0]!;
      const type = this.hdr[1]!;
      const len = this.view.getUint16(2, true);
      if (state === 0xff && type === 0xff && len === 0xffff && this.view.getUint32(4, true) === 0xffffffff) return off; // erased: the end of the log
      if (state !== COMMITTED) {
        // Torn by a power cut (or neutralized earlier). Its bytes stop where the cut came: past them the
        // sector is still erased, so the log goes on after it once it is marked dead.
        if (state !== DEAD || len >> 8 === 0xff) {
          if (state !== DEAD) this.torn++;
          if (len >> 8 === 0xff) {
            // The length itself never landed: fewer than 4 bytes did. Clear it to 0 (bits only go 1 -> 0).
            this.flash.program(base + off, DEAD_SHORT);
            off += RECORD_HEADER;
            continue;
          }
          this.flash.program(base + off, DEAD_BYTE);
        }
        const skip = align4(RECORD_HEADER + len);
        if (off + skip > size) return size;
        off += skip;
        continue;
      }
      const total = align4(RECORD_HEADER + len);
      if (off + total > size) return size; // not ours: stop trusting this sector
      const seq = this.view.getUint32(4, true);
      const payload = this.flash.read(base + off + RECORD_HEADER, len);
      if (crc32(payload, 0, len, crc32(this.hdr, 1, 7)) !== this.view.getUint32(8, true)) {
        // Committed but damaged (not a power cut: those never reach the commit byte). Skip it.
        this.torn++;
        off += total;
        continue;
      }
      if (seq > this.recordSeq) this.recordSeq = seq;
      this.apply(type, payload, base + off + RECORD_HEADER, s, seq, seqOf);
      off += total;
    }
    return size;
  }

  private apply(type: number, p: Uint8Array, at: number, sector: number, seq: number, seqOf: Map<number, number>): void {
    const set = (key: number, off: number, len: number, del: boolean) => {
      if ((seqOf.get(key) ?? -1) > seq) return;
      seqOf.set(key, seq);
      if (del) {
        this.index.delete(key);
        this.tombs.set(key, sector);
      } else {
        this.index.set(key, { off, len, sector });
        this.tombs.delete(key);
      }
    };
    if (p.length < 2) return; // damaged (CRC-valid) record without a whole key
    if (type === T_PUT) set(p[0]! | (p[1]! << 8), at + 2, p.length - 2, false);
    else if (type === T_DELETE) set(p[0]! | (p[1]! << 8), 0, 0, true);
    else if (type === T_MULTI) {
      let i = 2;
      const n = p[0]! | (p[1]! << 8);
      for (let k = 0; k < n && i + 5 <= p.length; k++) {
        const op = p[i]!;
        const key = p[i + 1]! | (p[i + 2]! << 8);
        const len = p[i + 3]! | (p[i + 4]! << 8);
        if (i + 5 + len > p.length) break; // damaged (CRC-valid) entry: its value would run past the record
        set(key, at + i + 5, len, op === T_DELETE);
        i += 5 + len;
      }
    }
  }

  has(key: number): boolean {
    return this.index.has(key);
  }

  /** The value of `key`, read from flash, or undefined. */
  get(key: number): Uint8Array | undefined {
    const loc = this.index.get(key);
    return loc ? this.flash.read(loc.off, loc.len) : undefined;
  }

  /** Keys present, ascending. */
  keys(): number[] {
    return [...this.index.keys()].sort((a, b) => a - b);
  }

  put(key: number, value: Uint8Array): void {
    this.commit([{ key, value }]);
  }

  delete(key: number): void {
    if (this.index.has(key)) this.commit([{ key, value: undefined }]);
  }


  /** Applies every change or none of them, whatever the power does. */
  commit(changes: StoreChange[]): void {
    for (const c of changes)
      if (!Number.isInteger(c.key) || c.key < 0 || c.key > MAX_KEY) throw new StoreError("E_STORE_KEY", `key ${c.key} outside 0..${MAX_KEY}`);
    let type: number;
    let payload: Uint8Array;
    if (changes.length === 1) {
      const c = changes[0]!;
      payload = new Uint8Array(2 + (c.value ? c.value.length : 0));
      payload[0] = c.key & 0xff;
      payload[1] = c.key >> 8;
      if (c.value) payload.set(c.value, 2);
      type = c.value ? T_PUT : T_DELETE;
    } else {
      let size = 2;
      for (const c of changes) size += 5 + (c.value ? c.value.length : 0);
      payload = new Uint8Array(size);
      payload[0] = changes.length & 0xff;
      payload[1] = changes.length >> 8;
      let i = 2;
      for (const c of changes) {
        const len = c.value ? c.value.length : 0;
        payload[i] = c.value ? T_PUT : T_DELETE;
        payload[i + 1] = c.key & 0xff;
        payload[i + 2] = c.key >> 8;
        payload[i + 3] = len & 0xff;
        payload[i + 4] = len >> 8;
        if (c.value) payload.set(c.value, i + 5);
        i += 5 + len;
      }
      type = T_MULTI;
    }
    this.append(type, payload);
  }

  private append(type: number, payload: Uint8Array): void {
    const total = align4(RECORD_HEADER + payload.length);
    if (total > this.flash.sectorSize - SECTOR_HEADER)
      throw new StoreError("E_STORE_RECORD_TOO_BIG", `${payload.length} B does not fit a ${this.flash.sectorSize} B sector`);
    if (this.head < 0 || this.headOff + total > this.flash.sectorSize) this.openSector(total);
    const seq = ++this.recordSeq;
    const rec = new Uint8Array(total).fill(0xff);
    const v = new DataView(rec.buffer);
    rec[1] = type;
    v.setUint16(2, payload.length, true);
    v.setUint32(4, seq, true);
    rec.set(payload, RECORD_HEADER);
    v.setUint32(8, crc32(payload, 0, payload.length, crc32(rec, 1, 7)), true);
    const at = this.base(this.head) + this.headOff;
    const sector = this.head;
    this.headOff += total;
    this.flash.program(at, rec); // state byte still 0xFF: not yet part of the log
    this.flash.program(at, COMMIT_BYTE); // the commit point
    this.apply(type, payload, at + RECORD_HEADER, sector, seq, new Map());
  }

  /** Erases sector `s` and stamps it as the new head with the next sector sequence. */
  private startSector(s: number): void {
    this.flash.erase(this.first + s);
    const sh = new Uint8Array(SECTOR_HEADER).fill(0xff);
    const v = new DataView(sh.buffer);
    const seq = ++this.maxSectorSeq;
    v.setUint32(0, SECTOR_MAGIC, true);
    v.setUint32(4, seq, true);
    v.setUint32(8, ~seq >>> 0, true);
    this.flash.program(this.base(s), sh);
    this.sectorSeq[s] = seq;
    this.head = s;
    this.headOff = SECTOR_HEADER;
  }

  /**
   * Moves the head to a fresh sector. One free sector is kept back as the spare that compaction may
   * copy into; when only the spare is left, another sector is reclaimed first.
   */
  private openSector(need: number): void {
    for (let guard = 0; guard <= 2 * this.count; guard++) {
      if (this.head >= 0 && this.headOff + need <= this.flash.sectorSize) return; // reclaiming left room
      const free = this.freeSectors();
      if (free.length >= 2 || (free.length === 1 && this.usedSectors() === 0)) {
        this.startSector(free[0]!);
        return;
      }
      if (!this.reclaim()) break;
    }
    throw new StoreError("E_STORE_FULL", `no room for ${need} B: live data fills the ${this.count} sectors`);
  }

  private freeSectors(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.count; s++) if (this.sectorSeq[s] === 0) out.push(s);
    return out;
  }

  private usedSectors(): number {
    let used = 0;
    for (let s = 0; s < this.count; s++) if (this.sectorSeq[s] !== 0) used++;
    return used;
  }

  /**
   * Frees one sector other than the head: one with nothing live is erased at once; otherwise the
   * oldest whose live values (and the deletes that still hide older values) fit the head, or the spare,
   * has them copied there first. Copies carry newer sequence numbers, so a cut before the erase leaves
   * both copies and the newer wins on mount. A delete in the oldest sector hides nothing any more.
   */
  private reclaim(): boolean {
    const order: number[] = [];
    for (let s = 0; s < this.count; s++) if (this.sectorSeq[s] !== 0 && s !== this.head) order.push(s);
    order.sort((a, b) => this.sectorSeq[a]! - this.sectorSeq[b]!);
    const oldest = order[0];
    const plan = order.map((s) => {
      const keys: number[] = [];
      let bytes = 0;
      for (const [key, loc] of this.index)
        if (loc.sector === s) {
          keys.push(key);
          bytes += align4(RECORD_HEADER + 2 + loc.len);
        }
      const tombs: number[] = [];
      if (s !== oldest)
        for (const [key, sector] of this.tombs)
          if (sector === s) {
            tombs.push(key);
            bytes += align4(RECORD_HEADER + 2);
          }
      return { s, keys, tombs, bytes };
    });
    const pick = plan.find((p) => p.bytes === 0) ?? plan.find((p) => p.bytes <= this.flash.sectorSize - this.headOff) ?? plan.find((p) => p.bytes <= this.flash.sectorSize - SECTOR_HEADER);
    if (!pick) return false;
    if (pick.bytes > this.flash.sectorSize - this.headOff) {
      const free = this.freeSectors();
      if (free.length === 0) return false;
      this.startSector(free[0]!);
    }
    for (const key of pick.keys.sort((a, b) => a - b)) this.put(key, this.get(key)!);
    for (const key of pick.tombs) this.commit([{ key, value: undefined }]);
    for (const [key, sector] of this.tombs) if (sector === pick.s) this.tombs.delete(key);
    this.flash.erase(this.first + pick.s);
    this.sectorSeq[pick.s] = 0;
    this.compactions++;
    return true;
  }

  stats(): StoreStats {
    let liveBytes = 0;
    for (const loc of this.index.values()) liveBytes += loc.len;
    return {
      sectors: this.count,
      liveKeys: this.index.size,
      liveBytes,
      freeBytesInHead: this.head < 0 ? 0 : this.flash.sectorSize - this.headOff,
      compactions: this.compactions,
      tornRecords: this.torn,
    };
  }
}

const COMMIT_BYTE = new Uint8Array([COMMITTED]);
const DEAD_BYTE = new Uint8Array([DEAD]);
/** Dead, type kept (0xFF ANDs to itself), length cleared to 0. */
const DEAD_SHORT = new Uint8Array([DEAD, 0xff, 0, 0]);

function align4(n: number): number {
  return (n + 3) & ~3;
}
