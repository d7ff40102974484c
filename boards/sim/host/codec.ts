/**
 * Frames and messages of the CUP dialect for the Node side (host and test client), on the project's codec:
 * firmware/core/iso8583.ts with firmware/cup/fields.ts and firmware/cup/frame.ts. A parsed message is a plain
 * object (MTI, field values as strings, the sub-fields of 60/61, the MAC input) so handlers never hold views
 * into a socket's buffer.
 */
import { Iso8583Message, Iso8583Packer, describe, type FieldValue } from "../../../firmware/core/iso8583.ts";
import { CUP_SPEC, FIELD60_LAYOUT, FIELD61_LAYOUT, splitSubfields } from "../../../firmware/cup/fields.ts";
import { BODY_OFFSET, splitFrame, writeFrameHead } from "../../../firmware/cup/frame.ts";
import { bytesToHex } from "../../../firmware/core/bytes.ts";
import { cupMac } from "./keys.ts";

/** Field number -> value as the packer takes it: digits, text, upper-case hex for b fields. */
export type Fields = { [field: number]: FieldValue | undefined };

export interface ParsedMessage {
  mti: string;
  /** Present fields as strings (digits; track with `D`; text; upper-case hex for b fields). */
  fields: Map<number, string>;
  /** 60.1 type, 60.2 batch, 60.3 network code (and more) when field 60 is present. */
  f60: { [key: string]: string };
  /** 61.1 batch, 61.2 trace, 61.3 date when field 61 is present. */
  f61: { [key: string]: string };
  /** The body bytes (a copy) and the MAC input range in it (MTI .. the byte before 64), when 64 is present. */
  body: Uint8Array;
  macInput?: Uint8Array;
  mac?: Uint8Array;
  /** describe() of the message: PAN masked, tracks, PIN block, keys and MAC hidden. */
  text: string;
}

export interface ParsedFrame {
  tpdu: Uint8Array;
  header: Uint8Array;
  message: ParsedMessage;
}

const parser = new Iso8583Message(CUP_SPEC);
const packer = new Iso8583Packer(CUP_SPEC);
const scratch = new Uint8Array(0x10000);

/** Parses an ISO body (MTI onwards). Throws the codec's Iso8583Error (E_8583_*) for malformed input. */
export function parseBody(bodyIn: Uint8Array): ParsedMessage {
  const body = bodyIn.slice();
  const m = parser.parse(body);
  const fields = new Map<number, string>();
  for (const n of m.fields()) fields.set(n, m.getString(n)!);
  const text = describe(m);
  const f60 = fields.has(60) ? splitSubfields(FIELD60_LAYOUT, fields.get(60)!) : {};
  const f61 = fields.has(61) ? splitSubfields(FIELD61_LAYOUT, fields.get(61)!) : {};
  const out: ParsedMessage = { mti: m.mti, fields, f60, f61, body, text };
  if (m.macEnd >= 0) {
    out.macInput = body.subarray(m.macStart, m.macEnd);
    out.mac = m.mac()!.slice();
  }
  return out;
}

/** Parses one whole frame (LEN + TPDU + header + body). */
export function parseFrame(frame: Uint8Array): ParsedFrame {
  const f = splitFrame(frame);
  return { tpdu: f.tpdu.slice(), header: f.header.slice(), message: parseBody(f.body) };
}

/**
 * Packs a message into a whole frame. With `mak`, field 64 is set and computed (CUP ECB MAC over MTI .. the byte
 * before 64); `macOverride` writes those 8 bytes instead (fault injection).
 */
export function buildFrame(tpdu: Uint8Array, header: Uint8Array, mti: string, fields: Fields, mak?: Uint8Array, macOverride?: Uint8Array): Uint8Array {
  const values: Fields = { ...fields };
  const withMac = mak !== undefined || macOverride !== undefined;
  if (withMac) values[64] = "0000000000000000";
  else delete values[64];
  const end = packer.pack(mti, values, scratch, BODY_OFFSET);
  if (withMac) packer.writeMac(macOverride ?? cupMac(mak!, packer.macInput()));
  writeFrameHead(scratch, 0, tpdu, header, end - BODY_OFFSET);
  return scratch.slice(0, end);
}

/** The body of a frame built by buildFrame (for describe / events). */
export function bodyOf(frame: Uint8Array): Uint8Array {
  return frame.subarray(BODY_OFFSET);
}

/** describe() of a body, or the error code when it does not parse. */
export function describeBody(body: Uint8Array): string {
  try {
    return describe(parser.parse(body.slice()));
  } catch (e) {
    return `<unparsable: ${(e as { code?: string }).code ?? String(e)}>`;
  }
}

/**
 * The content of a request for duplicate detection: every field but the key-dependent ones (52 PIN block, 64
 * MAC: a terminal re-sending after a new sign-in encrypts them under new keys), as text.
 */
export function contentKey(m: ParsedMessage): string {
  let s = m.mti;
  for (const [n, v] of [...m.fields].sort((a, b) => a[0] - b[0])) if (n !== 52 && n !== 64) s += `|${n}=${v}`;
  return s;
}

export function hexOf(b: Uint8Array): string {
  return bytesToHex(b);
}
