/**
 * BER-TLV as EMV uses it (EMV 4.x Book 3 Annex B, ISO/IEC 7816-4 / X.690 subset).
 *
 * - Tags are numbers made of their bytes, big-endian: 0x5A, 0x9F26, 0xBF0C, 0x1F8101 (1 to 3 bytes).
 *   Bit 6 (0x20) of the first byte marks a constructed object (a template holding TLV objects).
 * - Lengths: short form 00..7F, long form 81 xx, 82 xx xx, 83 xx xx xx. Indefinite (80) and 84+ are refused.
 * - 00 and FF bytes where a tag would start are padding (EMV Annex B allows 00 before, between and after
 *   objects; ISO 7816-4 makes 00 and FF invalid first tag bytes) and are skipped.
 * - Parsing never copies: the cursor and the map give a tag, its value offset and length in the original
 *   buffer; values are read on demand. Objects with unknown tags are kept like any other.
 * - Malformed input throws CoreError E_TLV_TRUNCATED, E_TLV_BAD_LENGTH, E_TLV_BAD_TAG or E_TLV_TOO_DEEP,
 *   in time linear in the input.
 */
import { CoreError } from "./errors";
import { bcdDecode } from "./bytes";

export const TLV_DEFAULT_MAX_DEPTH = 8;
/** Longest value the 83 form can express. */
export const TLV_MAX_LENGTH = 0xffffff;

const EMPTY = new Uint8Array(0);

function hex(n: number): string {
  return n.toString(16).toUpperCase();
}

function checkSlice(buf: Uint8Array, off: number, len: number): void {
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) throw new CoreError("E_RANGE", `TLV input ${off}+${len} outside 0..${buf.length}`);
}

/** True for the constructed tags (bit 6 of the first tag byte): 6F, 70, 77, A5, BF0C, E1 ... */
export function isConstructedTag(tag: number): boolean {
  const first = tag > 0xffff ? tag >>> 16 : tag > 0xff ? tag >>> 8 : tag;
  return (first & 0x20) !== 0;
}

/** Number of bytes of a tag number (1, 2 or 3). */
export function tagSize(tag: number): number {
  return tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
}

/** Throws E_TLV_BAD_TAG unless `tag` is a well-formed 1..3 byte BER tag (and not a padding byte). */
export function checkTag(tag: number): void {
  let ok: boolean;
  if (!(tag > 0 && tag <= 0xffffff) || tag !== Math.floor(tag)) ok = false;
  else if (tag <= 0xff) ok = (tag & 0x1f) !== 0x1f && tag !== 0xff;
  else if (tag <= 0xffff) ok = ((tag >>> 8) & 0x1f) === 0x1f && (tag & 0x80) === 0 && tag >>> 8 !== 0xff;
  else ok = ((tag >>> 16) & 0x1f) === 0x1f && (tag & 0x8000) !== 0 && (tag & 0x80) === 0 && tag >>> 16 !== 0xff;
  if (!ok) throw new CoreError("E_TLV_BAD_TAG", `not a 1..3 byte BER tag: ${typeof tag === "number" ? hex(tag) : String(tag)}`);
}

/** Writes the tag bytes at out[off]; returns their count. */
export function encodeTag(tag: number, out: Uint8Array, off: number): number {
  checkTag(tag);
  const n = tagSize(tag);
  if (off < 0 || off + n > out.length) throw new CoreError("E_RANGE", `no room for tag ${hex(tag)}`);
  if (n === 3) out[off++] = tag >>> 16;
  if (n >= 2) out[off++] = (tag >>> 8) & 0xff;
  out[off] = tag & 0xff;
  return n;
}

/** Bytes a length field takes (1..4). */
export function lengthSize(len: number): number {
  if (!(len >= 0 && len <= TLV_MAX_LENGTH) || len !== Math.floor(len)) throw new CoreError("E_TLV_BAD_LENGTH", `length ${len} cannot be encoded`);
  return len < 0x80 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 4;
}

/** Writes the shortest length field at out[off]; returns its size. */
export function encodeLength(len: number, out: Uint8Array, off: number): number {
  const n = lengthSize(len);
  if (off < 0 || off + n > out.length) throw new CoreError("E_RANGE", `no room for length ${len}`);
  if (n === 1) {
    out[off] = len;
    return 1;
  }
  out[off++] = 0x80 | (n - 1);
  for (let k = n - 2; k >= 0; k--) out[off++] = (len >>> (8 * k)) & 0xff;
  return n;
}

/**
 * Zero-copy walk over BER-TLV objects. Reusable: `reset()` it on a new buffer. After `next()` returns
 * true, `tag`, `constructed`, `start`, `valueOffset`, `valueLength` and `end` describe the current object.
 *
 *   const c = new TlvCursor();
 *   c.reset(fci);
 *   while (c.next()) if (c.tag === 0x6f) { c.enter(); ... c.leave(); }
 */
export class TlvCursor {
  buffer: Uint8Array = EMPTY;
  /** Current object: tag number, whether constructed, where its tag starts, its value, where it ends. */
  tag = 0;
  constructed = false;
  start = 0;
  valueOffset = 0;
  valueLength = 0;
  /** Nesting level of the current object (0 = top). */
  depth = 0;
  private pos = 0;
  private limit = 0;
  private fresh = false;
  private readonly ends: Int32Array;

  constructor(readonly maxDepth = TLV_DEFAULT_MAX_DEPTH) {
    this.ends = new Int32Array(maxDepth + 1);
  }

  get end(): number {
    return this.valueOffset + this.valueLength;
  }

  reset(buf: Uint8Array, off = 0, len = buf.length - off): this {
    checkSlice(buf, off, len);
    this.buffer = buf;
    this.pos = off;
    this.limit = off + len;
    this.depth = 0;
    this.tag = 0;
    this.constructed = false;
    this.fresh = false;
    return this;
  }

  /** Moves to the next object at the current level (skipping 00/FF padding); false at the level's end. */
  next(): boolean {
    const buf = this.buffer;
    const end = this.limit;
    let pos = this.pos;
    while (pos < end && (buf[pos] === 0 || buf[pos] === 0xff)) pos++;
    if (pos >= end) {
      this.pos = end;
      this.fresh = false;
      return false;
    }
    // Tag (1..3 bytes), then length (short form or 81/82/83); the value must end within the level.
    const first = buf[pos]!;
    let p = pos + 1;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `tag at ${pos} cut short`);
      let b = buf[p++]!;
      tag = (tag << 8) | b;
      if (b & 0x80) {
        if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `tag at ${pos} cut short`);
        b = buf[p++]!;
        tag = (tag << 8) | b;
        if (b & 0x80) throw new CoreError("E_TLV_BAD_TAG", `tag at ${pos} longer than 3 bytes`);
      }
    }
    if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `no length for tag ${hex(tag)} at ${pos}`);
    let len = buf[p++]!;
    if (len > 0x7f) {
      const n = len & 0x7f;
      if (n === 0) throw new CoreError("E_TLV_BAD_LENGTH", `indefinite length for tag ${hex(tag)} at ${pos}`);
      if (n > 3) throw new CoreError("E_TLV_BAD_LENGTH", `${n}-byte length for tag ${hex(tag)} at ${pos}`);
      if (p + n > end) throw new CoreError("E_TLV_TRUNCATED", `length of tag ${hex(tag)} at ${pos} cut short`);
      len = buf[p++]!;
      if (n > 1) len = (len << 8) | buf[p++]!;
      if (n > 2) len = (len << 8) | buf[p++]!;
    }
    if (len > end - p) throw new CoreError("E_TLV_TRUNCATED", `tag ${hex(tag)} at ${pos} needs ${len} bytes, ${end - p} left`);
    this.tag = tag;
    this.constructed = (first & 0x20) !== 0;
    this.start = pos;
    this.valueOffset = p;
    this.valueLength = len;
    this.pos = p + len;
    this.fresh = true;
    return true;
  }

  /** Descends into the current constructed object: `next()` then walks its children. */
  enter(): void {
    if (!this.fresh || !this.constructed) throw new CoreError("E_TLV_NOT_CONSTRUCTED", `tag ${hex(this.tag)} is not a template`);
    if (this.depth >= this.maxDepth) throw new CoreError("E_TLV_TOO_DEEP", `nesting deeper than ${this.maxDepth}`);
    this.ends[this.depth++] = this.limit;
    this.limit = this.valueOffset + this.valueLength;
    this.pos = this.valueOffset;
    this.fresh = false;
  }

  /** Back to the parent level, positioned after the template that was entered. */
  leave(): void {
    if (this.depth === 0) throw new CoreError("E_TLV_STATE", "leave() at the top level");
    this.pos = this.limit;
    this.limit = this.ends[--this.depth]!;
    this.fresh = false;
  }

  /** Pre-order walk of every object at every depth (enters templates by itself); `depth` tells the level. */
  nextDeep(): boolean {
    if (this.fresh && this.constructed) this.enter();
    for (;;) {
      if (this.next()) return true;
      if (this.depth === 0) return false;
      this.leave();
    }
  }
}

/** Bucket of a tag in a power-of-two table (stays within small-integer range). */
function slotOf(tag: number, mask: number): number {
  return (tag ^ (tag >>> 5)) & mask;
}

/**
 * All objects of a BER-TLV buffer (templates included, recursively) in parallel typed arrays, with a
 * hash index by tag. Values stay in the parsed buffer: read them with the accessors. Reusable: parse()
 * again to replace the contents; arrays grow only when a buffer has more objects than ever before.
 * Entry indexes follow document order (a template comes before its children).
 */
export class TlvMap {
  buffer: Uint8Array = EMPTY;
  /** Number of objects. */
  count = 0;
  private tags: Int32Array;
  private starts: Int32Array;
  private parents: Int32Array;
  private sameNext: Int32Array;
  private table: Int32Array;
  /** Per table slot: the last entry with that slot's tag once it repeats (to chain repeats in O(1)). */
  private tableLast: Int32Array;
  private mask: number;
  private readonly ends: Int32Array;

  constructor(capacity = 32, readonly maxDepth = TLV_DEFAULT_MAX_DEPTH) {
    const cap = capacity > 4 ? capacity : 4;
    this.tags = new Int32Array(cap);
    this.starts = new Int32Array(cap);
    this.parents = new Int32Array(cap);
    this.sameNext = new Int32Array(cap);
    let size = 8;
    while (size < cap * 2) size <<= 1;
    this.table = new Int32Array(size);
    this.tableLast = new Int32Array(size);
    this.mask = size - 1;
    this.ends = new Int32Array(maxDepth + 1);
  }

  /**
   * Parses buf[off .. off+len). With `recurse` (default) the children of templates are indexed too;
   * without, only the top level. Throws the E_TLV_* errors on malformed input (the map is then empty).
   */
  parse(buf: Uint8Array, off = 0, len = buf.length - off, recurse = true): this {
    checkSlice(buf, off, len);
    this.buffer = buf;
    this.count = 0;
    this.table.fill(0);
    this.sameNext.fill(-1);
    try {
      this.scan(buf, off, off + len, recurse);
    } catch (e) {
      this.count = 0;
      this.table.fill(0);
      throw e;
    }
    return this;
  }

  // The hot loop: everything in locals, tag and length decoded inline (no call, no allocation per object).
  private scan(buf: Uint8Array, pos: number, end: number, recurse: boolean): void {
    const ends = this.ends;
    const maxDepth = this.maxDepth;
    let tags = this.tags;
    let starts = this.starts;
    let parents = this.parents;
    let sameNext = this.sameNext;
    let table = this.table;
    let tableLast = this.tableLast;
    let mask = this.mask;
    let cap = tags.length;
    let count = 0;
    let depth = 0;
    let parent = -1;
    // Loop variables declared once, outside the loop: block-scoped declarations inside it cost extra
    // opcodes per iteration on QuickJS-style interpreters.
    let first = 0;
    let p = 0;
    let tag = 0;
    let b = 0;
    let len = 0;
    let n = 0;
    let i = 0;
    let s = 0;
    let e = 0;
    for (;;) {
      if (pos >= end) {
        if (depth === 0) break;
        // Leave the template: its end is where we are; go on in its parent.
        depth--;
        end = ends[depth]!;
        parent = parents[parent]!;
        continue;
      }
      first = buf[pos]!;
      if (first === 0 || first === 0xff) {
        pos++;
        continue;
      }
      // Tag (1..3 bytes). The header is read inline, not by a function shared with TlvCursor.next: on the same
      // field 55 a shared reader measured 3.3 M parses/s against 5.1 M inline (npm run bench -- --select tlv).
      p = pos + 1;
      tag = first;
      if ((first & 0x1f) === 0x1f) {
        if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `tag at ${pos} cut short`);
        b = buf[p++]!;
        tag = (tag << 8) | b;
        if (b & 0x80) {
          if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `tag at ${pos} cut short`);
          b = buf[p++]!;
          tag = (tag << 8) | b;
          if (b & 0x80) throw new CoreError("E_TLV_BAD_TAG", `tag at ${pos} longer than 3 bytes`);
        }
      }
      // Length (short form, or 81/82/83).
      if (p >= end) throw new CoreError("E_TLV_TRUNCATED", `no length for tag ${hex(tag)} at ${pos}`);
      len = buf[p++]!;
      if (len > 0x7f) {
        n = len & 0x7f;
        if (n === 0) throw new CoreError("E_TLV_BAD_LENGTH", `indefinite length for tag ${hex(tag)} at ${pos}`);
        if (n > 3) throw new CoreError("E_TLV_BAD_LENGTH", `${n}-byte length for tag ${hex(tag)} at ${pos}`);
        if (p + n > end) throw new CoreError("E_TLV_TRUNCATED", `length of tag ${hex(tag)} at ${pos} cut short`);
        len = buf[p++]!;
        if (n > 1) len = (len << 8) | buf[p++]!;
        if (n > 2) len = (len << 8) | buf[p++]!;
      }
      if (len > end - p) throw new CoreError("E_TLV_TRUNCATED", `tag ${hex(tag)} at ${pos} needs ${len} bytes, ${end - p} left`);
      i = count;
      if (i === cap) {
        this.count = count;
        this.grow();
        tags = this.tags;
        starts = this.starts;
        parents = this.parents;
        sameNext = this.sameNext;
        table = this.table;
        tableLast = this.tableLast;
        mask = this.mask;
        cap = tags.length;
      }
      tags[i] = tag;
      starts[i] = pos;
      parents[i] = parent;
      count = i + 1;
      // Index by tag; a repeated tag is chained after its first occurrence.
      s = (tag ^ (tag >>> 5)) & mask;
      for (;;) {
        e = table[s]!;
        if (e === 0) {
          table[s] = count;
          break;
        }
        if (tags[e - 1] === tag) {
          // The chain's last entry: the first one while it has no successor, else the one noted here.
          sameNext[sameNext[e - 1]! < 0 ? e - 1 : tableLast[s]!] = i;
          tableLast[s] = i;
          break;
        }
        s = (s + 1) & mask;
      }
      if (recurse && (first & 0x20) !== 0) {
        if (depth >= maxDepth) throw new CoreError("E_TLV_TOO_DEEP", `nesting deeper than ${maxDepth} at ${pos}`);
        ends[depth++] = end;
        end = p + len;
        parent = i;
        pos = p;
      } else pos = p + len;
    }
    this.count = count;
  }

  private grow(): void {
    const cap = this.tags.length * 2;
    const g32 = (a: Int32Array) => {
      const n = new Int32Array(cap);
      n.set(a);
      return n;
    };
    this.tags = g32(this.tags);
    this.starts = g32(this.starts);
    this.parents = g32(this.parents);
    this.sameNext = g32(this.sameNext);
    this.sameNext.fill(-1, cap >> 1);
    if (cap * 2 > this.table.length) {
      // Rehash the first occurrences into a bigger table (chains stay as they are).
      const size = this.table.length * 2;
      const table = new Int32Array(size);
      const last = new Int32Array(size);
      const mask = size - 1;
      const old = this.table;
      for (let k = 0; k < old.length; k++) {
        const e = old[k]!;
        if (e === 0) continue;
        let s = slotOf(this.tags[e - 1]!, mask);
        while (table[s] !== 0) s = (s + 1) & mask;
        table[s] = e;
        last[s] = this.tableLast[k]!;
      }
      this.table = table;
      this.tableLast = last;
      this.mask = mask;
    }
  }

  /** Index of the first object (document order, any depth) with this tag, or -1. */
  indexOf(tag: number): number {
    const table = this.table;
    const mask = this.mask;
    let s = slotOf(tag, mask);
    for (;;) {
      const e = table[s]!;
      if (e === 0) return -1;
      if (this.tags[e - 1] === tag) return e - 1;
      s = (s + 1) & mask;
    }
  }

  /** Index of the next object with the same tag as entry i, or -1. */
  nextIndexOf(i: number): number {
    return this.sameNext[i]!;
  }

  has(tag: number): boolean {
    return this.indexOf(tag) >= 0;
  }

  /**
   * Index of the object at `path` from the top level, each step a direct child: [0x70, 0x57],
   * [0x6F, 0xA5, 0x88]. -1 when absent. (Use indexOf for "anywhere".)
   */
  find(path: ArrayLike<number>): number {
    const n = path.length;
    if (n === 0) return -1;
    for (let i = this.indexOf(path[n - 1]!); i >= 0; i = this.sameNext[i]!) {
      let j = this.parents[i]!;
      let k = n - 2;
      while (k >= 0 && j >= 0 && this.tags[j] === path[k]) {
        j = this.parents[j]!;
        k--;
      }
      if (k < 0 && j < 0) return i;
    }
    return -1;
  }

  /** Index of the first direct child of entry `parent` with this tag (parent -1: top level), or -1. */
  childIndexOf(parent: number, tag: number): number {
    for (let i = this.indexOf(tag); i >= 0; i = this.sameNext[i]!) if (this.parents[i] === parent) return i;
    return -1;
  }

  /** Where entry i's length field starts (values are decoded on demand from the buffer). */
  private lengthPos(i: number): number {
    const t = this.tags[i]!;
    return this.starts[i]! + (t > 0xffff ? 3 : t > 0xff ? 2 : 1);
  }

  tagAt(i: number): number {
    return this.tags[i]!;
  }
  /** Offset of the object's first tag byte. */
  startAt(i: number): number {
    return this.starts[i]!;
  }
  valueOffsetAt(i: number): number {
    const lp = this.lengthPos(i);
    const b = this.buffer[lp]!;
    return b < 0x80 ? lp + 1 : lp + 1 + (b & 0x7f);
  }
  valueLengthAt(i: number): number {
    const buf = this.buffer;
    let lp = this.lengthPos(i);
    const b = buf[lp]!;
    if (b < 0x80) return b;
    let len = 0;
    for (let k = b & 0x7f; k > 0; k--) len = (len << 8) | buf[++lp]!;
    return len;
  }
  /** Offset just past the object's value. */
  endAt(i: number): number {
    return this.valueOffsetAt(i) + this.valueLengthAt(i);
  }
  /** Nesting level of entry i (0 = top level). */
  depthAt(i: number): number {
    let d = 0;
    for (let j = this.parents[i]!; j >= 0; j = this.parents[j]!) d++;
    return d;
  }
  /** Index of the enclosing template, -1 at the top level. */
  parentAt(i: number): number {
    return this.parents[i]!;
  }
  isConstructedAt(i: number): boolean {
    return (this.buffer[this.starts[i]!]! & 0x20) !== 0;
  }

  /** Value of entry i as a view into the parsed buffer (no copy). */
  valueAt(i: number): Uint8Array {
    const o = this.valueOffsetAt(i);
    return this.buffer.subarray(o, o + this.valueLengthAt(i));
  }
  /** Whole encoding (tag, length, value) of entry i as a view: to copy objects as they are. */
  rawAt(i: number): Uint8Array {
    return this.buffer.subarray(this.starts[i]!, this.endAt(i));
  }
  /** Value of the first object with this tag as a view, or undefined. */
  get(tag: number): Uint8Array | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.valueAt(i);
  }
  /** Copies entry i's value to out[off]; returns its length. */
  copyValue(i: number, out: Uint8Array, off: number): number {
    const o = this.valueOffsetAt(i);
    const n = this.valueLengthAt(i);
    if (off < 0 || off + n > out.length) throw new CoreError("E_RANGE", `no room for ${n} bytes`);
    const buf = this.buffer;
    for (let k = 0; k < n; k++) out[off + k] = buf[o + k]!;
    return n;
  }
  /** Value of tag as an unsigned big-endian integer (up to 6 bytes: ATC, amounts in binary), or -1 when absent. */
  getUint(tag: number): number {
    const i = this.indexOf(tag);
    if (i < 0) return -1;
    const n = this.valueLengthAt(i);
    if (n > 6) throw new CoreError("E_TLV_BAD_LENGTH", `tag ${hex(tag)} has ${n} bytes, too long for a number`);
    const buf = this.buffer;
    let v = 0;
    for (let k = 0, o = this.valueOffsetAt(i); k < n; k++) v = v * 256 + buf[o + k]!;
    return v;
  }
  /** Digits of a numeric ('n', packed BCD) value, or undefined when absent: 9A -> "250615". */
  getNumeric(tag: number): string | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : bcdDecode(this.buffer, this.valueOffsetAt(i), this.valueLengthAt(i) * 2, "right");
  }
}

/**
 * Builds BER-TLV into one reusable, growing buffer. Templates nest with begin()/end(); lengths take the
 * shortest form (81/82/83 when needed). `bytes()` is a view valid until the next write or reset().
 *
 *   w.reset().begin(0x70).putHex(0x57, "...").putNumeric(0x5F24, "301231", 3).end().bytes()
 */
export class TlvWriter {
  /** Bytes written so far. */
  length = 0;
  private buf: Uint8Array;
  private readonly open: Int32Array;
  private depth = 0;

  constructor(capacity = 256, readonly maxDepth = TLV_DEFAULT_MAX_DEPTH) {
    this.buf = new Uint8Array(capacity > 16 ? capacity : 16);
    this.open = new Int32Array(maxDepth);
  }

  reset(): this {
    this.length = 0;
    this.depth = 0;
    return this;
  }

  private ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }

  /** Writes tag and length (room for the value ensured); returns where the value goes. */
  private header(tag: number, len: number): number {
    checkTag(tag);
    const ls = lengthSize(len);
    this.ensure(4 + len);
    const buf = this.buf;
    let o = this.length;
    if (tag > 0xffff) buf[o++] = tag >>> 16;
    if (tag > 0xff) buf[o++] = (tag >>> 8) & 0xff;
    buf[o++] = tag & 0xff;
    if (ls === 1) buf[o++] = len;
    else {
      buf[o++] = 0x80 | (ls - 1);
      if (ls === 4) buf[o++] = len >>> 16;
      if (ls >= 3) buf[o++] = (len >>> 8) & 0xff;
      buf[o++] = len & 0xff;
    }
    this.length = o;
    return o;
  }

  /** A primitive object with value[off .. off+len). */
  put(tag: number, value: Uint8Array, off = 0, len = value.length - off): this {
    checkSlice(value, off, len);
    let o = this.header(tag, len);
    const buf = this.buf;
    for (let k = 0; k < len; k++) buf[o++] = value[off + k]!;
    this.length = o;
    return this;
  }

  /** A primitive object whose value is given in hex. Odd length or a non-hex char -> E_HEX. */
  putHex(tag: number, hexValue: string): this {
    const n = hexValue.length;
    if (n & 1) throw new CoreError("E_HEX", `odd hex length ${n}`);
    const start = this.length;
    let o = this.header(tag, n >> 1);
    const buf = this.buf;
    for (let i = 0; i < n; i += 2) {
      const hi = hexValue.charCodeAt(i);
      const lo = hexValue.charCodeAt(i + 1);
      const h = hi <= 57 ? hi - 48 : (hi | 32) - 87;
      const l = lo <= 57 ? lo - 48 : (lo | 32) - 87;
      if (!(h >= 0 && h < 16 && l >= 0 && l < 16)) {
        this.length = start;
        throw new CoreError("E_HEX", `non-hex character near ${i}`);
      }
      buf[o++] = (h << 4) | l;
    }
    this.length = o;
    return this;
  }

  /** A primitive object with an ASCII/Latin-1 value (an, ans formats). */
  putAscii(tag: number, text: string): this {
    const start = this.length;
    let o = this.header(tag, text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) {
        this.length = start;
        throw new CoreError("E_ASCII", `char code ${c} is not one byte`);
      }
      this.buf[o++] = c;
    }
    this.length = o;
    return this;
  }

  /** A binary unsigned integer of `size` bytes, big-endian (ATC, amounts in 'b' format). */
  putUint(tag: number, value: number, size: number): this {
    if (!(value >= 0) || value !== Math.floor(value) || size < 1 || size > 6 || value >= Math.pow(256, size))
      throw new CoreError("E_TLV_BAD_LENGTH", `${value} does not fit in ${size} bytes`);
    let o = this.header(tag, size);
    let v = value;
    for (let k = size - 1; k >= 0; k--) {
      const byte = v % 256;
      this.buf[o + k] = byte;
      v = (v - byte) / 256;
    }
    o += size;
    this.length = o;
    return this;
  }

  /**
   * A numeric ('n') value of `size` bytes: packed BCD, right-aligned, leading zeros (amounts, dates, codes).
   * Too many digits or a non-digit -> E_BCD.
   */
  putNumeric(tag: number, digits: string | number, size: number): this {
    const s = typeof digits === "number" ? String(digits) : digits;
    const n = s.length;
    if (n > size * 2) throw new CoreError("E_BCD", `${n} digits do not fit in ${size} bytes`);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) throw new CoreError("E_BCD", `not a digit at ${i}`);
    }
    const o = this.header(tag, size);
    const buf = this.buf;
    const lead = size * 2 - n; // zero nibbles before the digits
    for (let k = 0; k < size; k++) {
      const p = 2 * k - lead;
      const hi = p >= 0 ? s.charCodeAt(p) - 48 : 0;
      const lo = p + 1 >= 0 ? s.charCodeAt(p + 1) - 48 : 0;
      buf[o + k] = (hi << 4) | lo;
    }
    this.length = o + size;
    return this;
  }

  /** Bytes that are already TLV (an object copied from a parsed map with rawAt, a saved template). */
  putRaw(raw: Uint8Array, off = 0, len = raw.length - off): this {
    checkSlice(raw, off, len);
    this.ensure(len);
    this.buf.set(raw.subarray(off, off + len), this.length);
    this.length += len;
    return this;
  }

  /** Opens a template (a constructed tag: 70, 77, A5, BF0C, E1 ...); close it with end(). */
  begin(tag: number): this {
    checkTag(tag);
    if (!isConstructedTag(tag)) throw new CoreError("E_TLV_BAD_TAG", `tag ${hex(tag)} is not a constructed tag`);
    if (this.depth >= this.maxDepth) throw new CoreError("E_TLV_TOO_DEEP", `templates nested deeper than ${this.maxDepth}`);
    this.ensure(tagSize(tag) + 1);
    this.length += encodeTag(tag, this.buf, this.length);
    this.open[this.depth++] = this.length; // where the length goes
    this.buf[this.length++] = 0;
    return this;
  }

  /** Closes the innermost template, writing its length (moving its contents when 81/82/83 is needed). */
  end(): this {
    if (this.depth === 0) throw new CoreError("E_TLV_STATE", "end() without begin()");
    const at = this.open[--this.depth]!;
    const content = this.length - at - 1;
    const ls = lengthSize(content);
    if (ls > 1) {
      this.ensure(ls - 1);
      this.buf.copyWithin(at + ls, at + 1, this.length);
      this.length += ls - 1;
    }
    encodeLength(content, this.buf, at);
    return this;
  }

  /** The encoding so far (a view into the writer's buffer). Throws E_TLV_STATE while a template is open. */
  bytes(): Uint8Array {
    if (this.depth !== 0) throw new CoreError("E_TLV_STATE", `${this.depth} template(s) still open`);
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the encoding. */
  toBytes(): Uint8Array {
    return this.bytes().slice();
  }
}

/** Parses a whole buffer into a new map (convenience; reuse a TlvMap on hot paths). */
export function parseTlv(buf: Uint8Array, off = 0, len = buf.length - off): TlvMap {
  let n = 8;
  while (n * 4 < len) n <<= 1; // rough object count, avoids growing for typical data
  return new TlvMap(n).parse(buf, off, len);
}
