/**
 * The boot-control record: which slot holds the confirmed image, which one is on trial and how many trial boots
 * it has had. The boot loader (board code: boards/sim/boot/loader.ts, a C loader on a board) and the firmware
 * share it; layout in docs/firmware-update.md. 32 bytes in a RecordRing on the "boot" partition:
 *
 *   magic "BOOT" u32 | seq u32 | active u8 | pending u8 | attempts u8 | maxAttempts u8 | booted u8 | flags u8 |
 *   reserved u16 | minSecurityVersion u32 | reserved u32 | crc32 u32          (little-endian)
 *
 * active: the slot of the last confirmed image (0 = A, 1 = B, 0xFF = none yet: the loader boots a valid slot).
 * pending: the slot staged for a trial boot (0xFF = none). attempts: trial boots started (the loader counts
 * BEFORE it starts the image, so a crash is counted). booted: the slot the loader started last. flags bit 0: the
 * last trial was rolled back.
 */
import { RecordRing } from "./records";

export const BOOT_MAGIC = 0x544f4f42; // "BOOT" read as little-endian bytes 42 4F 4F 54
export const BOOT_RECORD_BYTES = 32;
export const NO_SLOT = 0xff;
export const FLAG_ROLLED_BACK = 1;

export interface BootControl {
  active: number;
  pending: number;
  attempts: number;
  maxAttempts: number;
  booted: number;
  flags: number;
  minSecurityVersion: number;
}

export function slotNames(device: { flash: { partitions: { readonly [n: string]: { readonly first: number; readonly count: number } | undefined } } }): Array<{ first: number; count: number }> | undefined {
  const a = device.flash.partitions.slotA;
  const b = device.flash.partitions.slotB;
  return a && b ? [a, b] : undefined;
}

export class BootControlStore {
  private readonly ring: RecordRing;

  constructor(flash: Natives.Flash, part: { first: number; count: number }) {
    this.ring = new RecordRing({ flash, first: part.first, count: part.count }, BOOT_MAGIC, BOOT_RECORD_BYTES);
  }

  read(): BootControl | undefined {
    const p = this.ring.read();
    if (!p) return undefined;
    return {
      active: p[0]!,
      pending: p[1]!,
      attempts: p[2]!,
      maxAttempts: p[3]!,
      booted: p[4]!,
      flags: p[5]!,
      minSecurityVersion: (p[8]! | (p[9]! << 8) | (p[10]! << 16)) + p[11]! * 0x1000000,
    };
  }

  write(c: BootControl): void {
    const p = new Uint8Array(BOOT_RECORD_BYTES - 12);
    p[0] = c.active;
    p[1] = c.pending;
    p[2] = c.attempts;
    p[3] = c.maxAttempts;
    p[4] = c.booted;
    p[5] = c.flags;
    const v = c.minSecurityVersion;
    p[8] = v & 0xff;
    p[9] = (v >>> 8) & 0xff;
    p[10] = (v >>> 16) & 0xff;
    p[11] = (v >>> 24) & 0xff;
    this.ring.write(p);
  }
}
