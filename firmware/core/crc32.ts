/**
 * CRC-32 (ISO-HDLC: poly 0xEDB88320 reflected, init and xorout 0xFFFFFFFF), as zlib computes it.
 * The register is kept as two 16-bit halves and the table split the same way, so every intermediate
 * stays a small integer: on JerryScript a value beyond ±2^27 would be a heap-allocated double.
 */
let HI: Uint16Array | undefined;
let LO: Uint16Array | undefined;

function tables(): void {
  HI = new Uint16Array(256);
  LO = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 15)) & 0xffff;
      hi = hi >>> 1;
      if (carry) {
        hi ^= 0xedb8;
        lo ^= 0x8320;
      }
    }
    HI[n] = hi;
    LO[n] = lo;
  }
}

/** CRC-32 of data[off .. off+len), continuing from `crc` (pass the previous result to chain). */
export function crc32(data: Uint8Array, off = 0, len = data.length - off, crc = 0): number {
  if (!HI) tables();
  const hiT = HI!;
  const loT = LO!;
  let hi = (~crc >>> 16) & 0xffff;
  let lo = ~crc & 0xffff;
  for (let i = off, end = off + len; i < end; i++) {
    const idx = (lo ^ data[i]!) & 0xff;
    // crc = (crc >>> 8) ^ T[idx], on halves
    const nlo = ((lo >>> 8) | ((hi & 0xff) << 8)) ^ loT[idx]!;
    hi = (hi >>> 8) ^ hiT[idx]!;
    lo = nlo;
  }
  return ((~hi & 0xffff) * 0x10000 + (~lo & 0xffff));
}
