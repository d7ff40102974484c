/**
 * The kernel's data: every data object of the transaction by tag (card and terminal), the TVR (95) and
 * the TSI (9B) as live 5- and 2-byte arrays, and the bit names of both (EMV 4.x Book 3 Annex C5/C6).
 */
import { CoreError } from "../core/errors";
import { TlvCursor } from "../core/tlv";

/** TVR bits as [byte index, mask]. */
export const TVR = {
  odaNotPerformed: [0, 0x80],
  sdaFailed: [0, 0x40],
  iccDataMissing: [0, 0x20],
  exceptionFile: [0, 0x10],
  ddaFailed: [0, 0x08],
  cdaFailed: [0, 0x04],
  sdaSelected: [0, 0x02],
  differentVersions: [1, 0x80],
  expired: [1, 0x40],
  notYetEffective: [1, 0x20],
  serviceNotAllowed: [1, 0x10],
  newCard: [1, 0x08],
  cvmFailed: [2, 0x80],
  unrecognisedCvm: [2, 0x40],
  pinTryLimitExceeded: [2, 0x20],
  pinPadMissing: [2, 0x10],
  pinNotEntered: [2, 0x08],
  onlinePinEntered: [2, 0x04],
  floorLimitExceeded: [3, 0x80],
  lowerOfflineLimitExceeded: [3, 0x40],
  upperOfflineLimitExceeded: [3, 0x20],
  randomlySelected: [3, 0x10],
  merchantForcedOnline: [3, 0x08],
  defaultTdolUsed: [4, 0x80],
  issuerAuthFailed: [4, 0x40],
  scriptFailedBefore: [4, 0x20],
  scriptFailedAfter: [4, 0x10],
} as const;
export type TvrBit = keyof typeof TVR;

/** TSI bits (byte 1). */
export const TSI = {
  odaPerformed: 0x80,
  cvmPerformed: 0x40,
  cardRiskManagementPerformed: 0x20,
  issuerAuthPerformed: 0x10,
  terminalRiskManagementPerformed: 0x08,
  scriptProcessingPerformed: 0x04,
} as const;
export type TsiBit = keyof typeof TSI;

/** Primitive data objects by tag, with the TVR and TSI. Values are copies owned by the store. */
export class EmvData {
  private readonly values = new Map<number, Uint8Array>();
  /** 95, kept in the store as the same array. */
  readonly tvr = new Uint8Array(5);
  /** 9B. */
  readonly tsi = new Uint8Array(2);
  private readonly cursor = new TlvCursor();

  constructor() {
    this.values.set(0x95, this.tvr);
    this.values.set(0x9b, this.tsi);
  }

  get(tag: number): Uint8Array | undefined {
    return this.values.get(tag);
  }
  has(tag: number): boolean {
    return this.values.has(tag);
  }
  /** Stores a copy of the value (of `len` bytes at `off`). */
  set(tag: number, value: Uint8Array, off = 0, len = value.length - off): void {
    if (tag === 0x95 || tag === 0x9b) {
      const t = tag === 0x95 ? this.tvr : this.tsi;
      t.fill(0);
      t.set(value.subarray(off, off + Math.min(len, t.length)));
      return;
    }
    this.values.set(tag, value.slice(off, off + len));
  }
  delete(tag: number): void {
    if (tag !== 0x95 && tag !== 0x9b) this.values.delete(tag);
  }

  /** A numeric (n) value: packed BCD of `size` bytes, right-aligned. */
  setNumeric(tag: number, value: number | string, size: number): void {
    const s = typeof value === "number" ? String(Math.floor(value)) : value;
    if (s.length > size * 2 || !/^[0-9]*$/.test(s)) throw new CoreError("E_BCD", `${s} does not fit n${size * 2}`);
    const out = new Uint8Array(size);
    const lead = size * 2 - s.length;
    for (let k = 0; k < size * 2; k++) {
      const d = k < lead ? 0 : s.charCodeAt(k - lead) - 48;
      out[k >> 1] |= k & 1 ? d : d << 4;
    }
    this.values.set(tag, out);
  }

  /** The value as an unsigned binary integer (up to 6 bytes), or -1 when absent. */
  uint(tag: number): number {
    const v = this.values.get(tag);
    if (!v) return -1;
    let n = 0;
    for (let i = 0; i < v.length && i < 6; i++) n = n * 256 + v[i]!;
    return n;
  }

  /** The value's hex digits (BCD numbers, dates), "" when absent. */
  digits(tag: number): string {
    const v = this.values.get(tag);
    if (!v) return "";
    let s = "";
    for (let i = 0; i < v.length; i++) s += (v[i]! < 16 ? "0" : "") + v[i]!.toString(16).toUpperCase();
    return s;
  }

  /**
   * Stores every primitive object of a TLV buffer (templates are entered). With `unique`, a tag the
   * store already holds from a record is an error (EMV Book 3 §10.2: redundant data -> terminate):
   * E_EMV_DATA. Returns the number of objects stored.
   */
  absorb(buf: Uint8Array, off = 0, len = buf.length - off, seen?: Set<number>): number {
    const c = this.cursor;
    c.reset(buf, off, len);
    let n = 0;
    while (c.nextDeep()) {
      if (c.constructed) continue;
      const tag = c.tag;
      if (seen) {
        if (seen.has(tag)) throw new CoreError("E_EMV_DATA", `tag ${tag.toString(16).toUpperCase()} appears twice in the records`);
        seen.add(tag);
      }
      this.set(tag, buf, c.valueOffset, c.valueLength);
      n++;
    }
    return n;
  }

  setTvr(bit: TvrBit): void {
    const b = TVR[bit];
    this.tvr[b[0]] |= b[1];
  }
  tvrHas(bit: TvrBit): boolean {
    const b = TVR[bit];
    return (this.tvr[b[0]]! & b[1]) !== 0;
  }
  setTsi(bit: TsiBit): void {
    this.tsi[0] |= TSI[bit];
  }

  /** Clears everything (a new transaction). */
  clear(): void {
    this.values.clear();
    this.tvr.fill(0);
    this.tsi.fill(0);
    this.values.set(0x95, this.tvr);
    this.values.set(0x9b, this.tsi);
  }
}
