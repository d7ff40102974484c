/**
 * NOR flash as a terminal has it: erased bytes read 0xFF, programming can only clear bits (the new value
 * is ANDed with the old), erase works on whole sectors. A power cut can be scheduled to tear the Nth
 * program or erase: only part of it reaches the cells, then the board loses power.
 */
export class FlashError extends Error {
  constructor(readonly code: "E_FLASH_RANGE" | "E_FLASH_ALIGN", message: string) {
    super(`${code}: ${message}`);
  }
}

export interface PowerCut {
  /** Cut during the Nth program/erase from now (1 = the next one). */
  atOperation: number;
  /** How many bytes of that operation land before the cut (default: half). */
  landedBytes?: number;
}

export class SimFlash {
  readonly bytes: Uint8Array;
  /** Counts every program and erase since creation (for wear and for cut planning). */
  operations = 0;
  private cutAt = 0;
  private cutLanded: number | undefined;
  private cutHappened = false;

  constructor(readonly sectorSize: number, readonly sectorCount: number, image?: Uint8Array) {
    this.bytes = new Uint8Array(sectorSize * sectorCount).fill(0xff);
    if (image) this.bytes.set(image.subarray(0, this.bytes.length));
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length)
      throw new FlashError("E_FLASH_RANGE", `offset ${offset} length ${length} outside ${this.bytes.length} bytes`);
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  program(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    const n = this.tick(data.length);
    for (let i = 0; i < n; i++) this.bytes[offset + i]! &= data[i]!;
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount)
      throw new FlashError("E_FLASH_RANGE", `sector ${sector} of ${this.sectorCount}`);
    const n = this.tick(this.sectorSize);
    this.bytes.fill(0xff, sector * this.sectorSize, sector * this.sectorSize + n);
  }

  /** Schedules a power cut that tears an operation. */
  scheduleCut(cut: PowerCut): void {
    this.cutAt = this.operations + Math.max(1, cut.atOperation);
    this.cutLanded = cut.landedBytes;
  }

  /** True once after a scheduled cut has torn an operation. */
  takePowerCut(): boolean {
    const h = this.cutHappened;
    this.cutHappened = false;
    return h;
  }

  /** Returns how many bytes of the operation land. */
  private tick(length: number): number {
    this.operations++;
    if (this.cutAt !== 0 && this.operations === this.cutAt) {
      this.cutAt = 0;
      this.cutHappened = true;
      return Math.min(length, this.cutLanded ?? length >> 1);
    }
    return length;
  }
}
