/**
 * ESC/POS byte sequences (spec/devices.md §6.1) written into a caller's buffer, and the printer's
 * status answers decoded. Writers take `(out, pos, ...)` and return the new end: no allocation.
 */
import { HalError } from "../errors";

export const LF = 0x0a;
export const DLE = 0x10;
export const ESC = 0x1b;
export const FS = 0x1c;
export const GS = 0x1d;

export type Align = "left" | "center" | "right";
export type QrEcc = "L" | "M" | "Q" | "H";

/** ESC @ (initialise: modes to defaults, print buffer cleared) then FS & (Chinese mode: GB bytes). */
export function putInit(out: Uint8Array, p: number): number {
  out[p] = ESC;
  out[p + 1] = 0x40;
  out[p + 2] = FS;
  out[p + 3] = 0x26;
  return p + 4;
}

/** ESC a n (alignment), ESC E n (bold), GS ! n (size: bits 4-7 width-1, bits 0-3 height-1). */
export function putStyle(out: Uint8Array, p: number, align: Align | undefined, bold: boolean, wide: boolean, tall: boolean): number {
  out[p] = ESC;
  out[p + 1] = 0x61;
  out[p + 2] = align === "center" ? 1 : align === "right" ? 2 : 0;
  out[p + 3] = ESC;
  out[p + 4] = 0x45;
  out[p + 5] = bold ? 1 : 0;
  out[p + 6] = GS;
  out[p + 7] = 0x21;
  out[p + 8] = (wide ? 0x10 : 0) | (tall ? 0x01 : 0);
  return p + 9;
}

/** ESC d n: print and feed n lines. */
export function putFeed(out: Uint8Array, p: number, lines: number): number {
  out[p] = ESC;
  out[p + 1] = 0x64;
  out[p + 2] = lines < 0 ? 0 : lines > 255 ? 255 : lines;
  return p + 3;
}

/** GS V m: full (0) or partial (1) cut. */
export function putCut(out: Uint8Array, p: number, partial: boolean): number {
  out[p] = GS;
  out[p + 1] = 0x56;
  out[p + 2] = partial ? 1 : 0;
  return p + 3;
}

/**
 * GS r 1 (transmit paper sensor status). Unlike DLE EOT it is executed in order, after everything
 * received before it has been processed, and not at all while the printer is offline: its answer is
 * the driver's acknowledgement that the preceding line was printed.
 */
export function putAckRequest(out: Uint8Array, p: number): number {
  out[p] = GS;
  out[p + 1] = 0x72;
  out[p + 2] = 1;
  return p + 3;
}

/** DLE EOT 1, 2, 3, 4: real-time status (printer, offline cause, error cause, paper roll sensor). */
export function putStatusQuery(out: Uint8Array, p: number): number {
  for (let n = 1; n <= 4; n++) {
    out[p++] = DLE;
    out[p++] = 0x04;
    out[p++] = n;
  }
  return p;
}

/** Bytes a QR code of `data` takes (putQr). */
export function qrBytes(data: string): number {
  return 9 + 8 + 8 + 8 + data.length + 8;
}

/**
 * GS ( k: model 2, module size, error correction, store the data, print. The data must be printable
 * ASCII (URLs, references): anything else is E_PRINTER_ENCODING.
 */
export function putQr(out: Uint8Array, p: number, data: string, moduleSize: number, ecc: QrEcc): number {
  if (data.length === 0 || data.length > 1000) throw new HalError("E_PRINTER_ENCODING", `QR data of ${data.length} characters (1..1000)`);
  const k = (fn: number, len: number) => {
    out[p++] = GS;
    out[p++] = 0x28;
    out[p++] = 0x6b;
    out[p++] = len & 0xff;
    out[p++] = len >> 8;
    out[p++] = 0x31;
    out[p++] = fn;
  };
  k(0x41, 4); // model: n1 = 50 (model 2), n2 = 0
  out[p++] = 0x32;
  out[p++] = 0;
  k(0x43, 3); // module size in dots
  out[p++] = moduleSize < 1 ? 1 : moduleSize > 16 ? 16 : moduleSize;
  k(0x45, 3); // error correction 48..51 = L, M, Q, H
  out[p++] = ecc === "L" ? 48 : ecc === "Q" ? 50 : ecc === "H" ? 51 : 49;
  k(0x50, data.length + 3); // store: m = 48, then the data
  out[p++] = 0x30;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new HalError("E_PRINTER_ENCODING", `QR data has a character outside printable ASCII at index ${i}`);
    out[p++] = c;
  }
  k(0x51, 3); // print: m = 48
  out[p++] = 0x30;
  return p;
}

/** A DLE EOT answer has the fixed form 0xx1xx10. */
export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

/** A GS r 1 answer has bits 4 and 7 clear (and so never looks like a DLE EOT answer). */
export function isAckByte(b: number): boolean {
  return (b & 0x90) === 0;
}

/** The paper-end sensor bits of a GS r 1 answer. */
export function ackSaysPaperEnd(b: number): boolean {
  return (b & 0x0c) !== 0;
}
export function ackSaysNearEnd(b: number): boolean {
  return (b & 0x03) !== 0;
}

export interface PrinterStatus {
  /** DLE EOT 1 bit 3 clear. */
  online: boolean;
  /** DLE EOT 2 bit 2. */
  coverOpen: boolean;
  /** DLE EOT 2 bit 5 (stopped by paper end) or DLE EOT 4 bits 5-6 (paper end sensor). */
  paperOut: boolean;
  /** DLE EOT 4 bits 2-3. */
  paperNearEnd: boolean;
  /** DLE EOT 3 bit 6: an auto-recoverable error, which on thermal printers is the head temperature. */
  overheat: boolean;
  /** DLE EOT 3 bit 3. */
  cutterError: boolean;
  /** DLE EOT 3 bit 5. */
  unrecoverable: boolean;
  /** DLE EOT 2 bit 6. */
  error: boolean;
  /** The four answers, for the log. */
  raw: number[];
}

export function decodeStatus(s1: number, s2: number, s3: number, s4: number): PrinterStatus {
  return {
    online: (s1 & 0x08) === 0,
    coverOpen: (s2 & 0x04) !== 0,
    paperOut: (s2 & 0x20) !== 0 || (s4 & 0x60) !== 0,
    paperNearEnd: (s4 & 0x0c) !== 0,
    overheat: (s3 & 0x40) !== 0,
    cutterError: (s3 & 0x08) !== 0,
    unrecoverable: (s3 & 0x20) !== 0,
    error: (s2 & 0x40) !== 0,
    raw: [s1, s2, s3, s4],
  };
}

/** The typed error a status stands for (cover first: an open cover also hides the paper), if any. */
export function statusError(s: PrinterStatus, context: string): HalError | undefined {
  if (s.coverOpen) return new HalError("E_PRINTER_COVER_OPEN", `printer cover open${context}`);
  if (s.paperOut) return new HalError("E_PRINTER_PAPER_OUT", `printer out of paper${context}`);
  if (s.overheat) return new HalError("E_PRINTER_OVERHEAT", `print head overheated${context}`);
  if (s.cutterError || s.unrecoverable || s.error || !s.online)
    return new HalError("E_PRINTER_FAULT", `printer ${s.online ? "error" : "offline"} (status ${hex(s.raw)})${context}`);
  return undefined;
}

function hex(bytes: number[]): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (i ? " " : "") + (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return s;
}
