/**
 * CUP framing (/work/shared/spec/cup-8583.md §1): LEN (2 bytes, big-endian, counting every byte after itself)
 * + TPDU (5 bytes) + application header (6 bytes) + the ISO 8583 body (MTI, bitmap, fields).
 *
 * To send without copies, pack the body straight into the output buffer at BODY_OFFSET and then write the
 * first 13 bytes with `writeFrameHead`. To receive from a byte stream, `frameSize` tells how many bytes the
 * frame at hand needs; `splitFrame` returns views of its parts.
 */
import { CoreError } from "../core/errors";

export const LEN_BYTES = 2;
export const TPDU_BYTES = 5;
export const HEADER_BYTES = 6;
/** Offset of the ISO body (MTI) from the start of the frame. */
export const BODY_OFFSET = LEN_BYTES + TPDU_BYTES + HEADER_BYTES;
/** Largest body the 2-byte length allows. */
export const MAX_BODY_BYTES = 0xffff - TPDU_BYTES - HEADER_BYTES;

export interface CupFrame {
  /** Views into the buffer that was split. */
  tpdu: Uint8Array;
  header: Uint8Array;
  body: Uint8Array;
  /** Offset of the body in that buffer, and the whole frame's size (LEN included). */
  bodyOffset: number;
  size: number;
}

/**
 * Bytes the frame starting at buf[off] occupies in all (2 + LEN), or -1 while fewer than 2 bytes are
 * available. A LEN too small to hold TPDU and header -> E_8583_LENGTH.
 */
export function frameSize(buf: Uint8Array, off = 0, avail = buf.length - off): number {
  if (avail < LEN_BYTES) return -1;
  const len = (buf[off]! << 8) | buf[off + 1]!;
  if (len < TPDU_BYTES + HEADER_BYTES) throw new CoreError("E_8583_LENGTH", `frame length ${len} cannot hold TPDU and header`);
  return LEN_BYTES + len;
}

/**
 * Splits the frame in buf[off .. off+len): views of TPDU, header and body. Fewer bytes than LEN announces ->
 * E_8583_TRUNCATED; with `exact` (default) bytes beyond it -> E_8583_LENGTH. The TPDU and header are not
 * checked (§1: a response is not rejected for its TPDU; the header a host sends back is ignored).
 */
export function splitFrame(buf: Uint8Array, off = 0, len = buf.length - off, exact = true): CupFrame {
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) throw new CoreError("E_8583_TRUNCATED", `range ${off}+${len} outside the buffer`);
  const size = frameSize(buf, off, len);
  if (size < 0) throw new CoreError("E_8583_TRUNCATED", "frame shorter than its length prefix");
  if (size > len) throw new CoreError("E_8583_TRUNCATED", `frame announces ${size} bytes, ${len} present`);
  if (exact && size < len) throw new CoreError("E_8583_LENGTH", `${len - size} bytes after the frame`);
  const t = off + LEN_BYTES;
  const h = t + TPDU_BYTES;
  const b = h + HEADER_BYTES;
  return {
    tpdu: buf.subarray(t, h),
    header: buf.subarray(h, b),
    body: buf.subarray(b, off + size),
    bodyOffset: b,
    size,
  };
}

/** Writes LEN, TPDU and header into out[off .. off+13) for a body of `bodyLength` bytes that follows them. */
export function writeFrameHead(out: Uint8Array, off: number, tpdu: Uint8Array, header: Uint8Array, bodyLength: number): void {
  if (tpdu.length !== TPDU_BYTES) throw new CoreError("E_8583_LENGTH", `TPDU must be ${TPDU_BYTES} bytes`);
  if (header.length !== HEADER_BYTES) throw new CoreError("E_8583_LENGTH", `header must be ${HEADER_BYTES} bytes`);
  if (!(bodyLength >= 0 && bodyLength <= MAX_BODY_BYTES)) throw new CoreError("E_8583_LENGTH", `body of ${bodyLength} bytes does not fit the length prefix`);
  if (!(off >= 0) || off + BODY_OFFSET > out.length) throw new CoreError("E_8583_OVERFLOW", "no room for the frame head");
  const len = TPDU_BYTES + HEADER_BYTES + bodyLength;
  out[off] = len >> 8;
  out[off + 1] = len & 0xff;
  out.set(tpdu, off + LEN_BYTES);
  out.set(header, off + LEN_BYTES + TPDU_BYTES);
}

/** A whole frame from its parts: into out[off..] (returns a view of it) or a new array. */
export function joinFrame(tpdu: Uint8Array, header: Uint8Array, body: Uint8Array, out?: Uint8Array, off = 0): Uint8Array {
  const size = BODY_OFFSET + body.length;
  const dst = out ?? new Uint8Array(size);
  if (!(off >= 0) || off + size > dst.length) throw new CoreError("E_8583_OVERFLOW", `no room for a ${size}-byte frame`);
  writeFrameHead(dst, off, tpdu, header, body.length);
  dst.set(body, off + BODY_OFFSET);
  return out ? dst.subarray(off, off + size) : dst;
}

/** The TPDU a host answers with: same id, destination and source addresses swapped (§1, unverified). */
export function responseTpdu(tpdu: Uint8Array, out: Uint8Array = new Uint8Array(TPDU_BYTES)): Uint8Array {
  if (tpdu.length !== TPDU_BYTES) throw new CoreError("E_8583_LENGTH", `TPDU must be ${TPDU_BYTES} bytes`);
  const a = tpdu[1]!;
  const b = tpdu[2]!;
  out[0] = tpdu[0]!;
  out[1] = tpdu[3]!;
  out[2] = tpdu[4]!;
  out[3] = a;
  out[4] = b;
  return out;
}
