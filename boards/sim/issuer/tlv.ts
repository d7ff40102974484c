/** A small BER-TLV reader/writer for the issuer side (Node; kept apart from firmware/core/tlv.ts on purpose). */

export interface Tlv {
  tag: number;
  value: Uint8Array;
  /** Children when constructed. */
  children?: Tlv[];
}

/** Parses a buffer into objects (templates recursively); 00/FF padding between objects is skipped. */
export function parse(b: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < b.length) {
    if (b[p] === 0x00 || b[p] === 0xff) {
      p++;
      continue;
    }
    const first = b[p++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      do tag = tag * 256 + b[p++]!;
      while (b[p - 1]! & 0x80);
    }
    let len = b[p++]!;
    if (len === undefined) throw new Error("E_TLV: truncated");
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = len * 256 + b[p++]!;
    }
    if (p + len > b.length) throw new Error("E_TLV: truncated value");
    const value = b.subarray(p, p + len);
    p += len;
    out.push(first & 0x20 ? { tag, value, children: parse(value) } : { tag, value });
  }
  return out;
}

/** Every primitive object by tag (first occurrence wins), templates flattened. */
export function flatten(list: Tlv[], into = new Map<number, Uint8Array>()): Map<number, Uint8Array> {
  for (const t of list) {
    if (t.children) flatten(t.children, into);
    else if (!into.has(t.tag)) into.set(t.tag, t.value);
  }
  return into;
}

function tagBytes(tag: number): number[] {
  const out: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) out.unshift(t & 0xff);
  return out;
}

function lenBytes(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}

/** Encodes one object (value = concatenated parts). */
export function encode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const head = [...tagBytes(tag), ...lenBytes(n)];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  let o = head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
