/**
 * UTF-8 without TextEncoder/TextDecoder (the engine has neither). Malformed input decodes to U+FFFD
 * per maximal subpart, as the WHATWG decoder does, so a garbled byte never throws or hangs.
 */

/** Number of UTF-8 bytes `s` needs (lone surrogates count as U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at out[off]; returns the offset after it. `out` must have utf8Length(s) bytes free. */
export function utf8Write(s: string, out: Uint8Array, off: number): number {
  let o = off;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && (d & 0xfc00) === 0xdc00) {
        i++;
        // (c - 0xD800) * 0x400 + (d - 0xDC00) + 0x10000, assembled from small parts.
        const hi = ((c & 0x3ff) >> 6) + 1; // plane (1..16) : top bits
        out[o++] = 0xf0 | (hi >> 2);
        out[o++] = 0x80 | ((hi & 3) << 4) | ((c >> 2) & 15);
        out[o++] = 0x80 | ((c & 3) << 4) | ((d >> 6) & 15);
        out[o++] = 0x80 | (d & 63);
        continue;
      }
      c = 0xfffd; // lone surrogate
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 63);
    out[o++] = 0x80 | (c & 63);
  }
  return o;
}

export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  utf8Write(s, out, 0);
  return out;
}

/** Decodes b[off .. off+len). */
export function utf8Decode(b: Uint8Array, off = 0, len = b.length - off): string {
  let s = "";
  let chunk: number[] = [];
  const end = off + len;
  let i = off;
  const push = (cp: number) => {
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      chunk.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
    } else chunk.push(cp);
    if (chunk.length >= 1024) {
      s += String.fromCharCode.apply(null, chunk);
      chunk = [];
    }
  };
  while (i < end) {
    const b0 = b[i]!;
    if (b0 < 0x80) {
      push(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    } else {
      push(0xfffd);
      i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      const c = j < end ? b[j]! : -1;
      if (c < lo || c > hi) {
        ok = false;
        break;
      }
      lo = 0x80;
      hi = 0xbf;
      cp = cp * 64 + (c & 63);
    }
    push(ok ? cp : 0xfffd);
    i = ok ? j : Math.max(j, i + 1);
  }
  if (chunk.length) s += String.fromCharCode.apply(null, chunk);
  return s;
}
