/**
 * Field 55 (IC card data, BER-TLV, at most 255 bytes) from the kernel's data: the tags CUP expects in
 * an authorisation request, in this order, each when present; and the variants for the issuer script
 * result notification and for uploads.
 */
import { TlvWriter } from "../core/tlv";
import type { EmvData } from "./data";

/** The authorisation request's ICC data (CUP). */
export const FIELD55_REQUEST_TAGS: readonly number[] = [
  0x9f26, 0x9f27, 0x9f10, 0x9f37, 0x9f36, 0x95, 0x9a, 0x9c, 0x9f02, 0x5f2a, 0x82, 0x9f1a, 0x9f03, 0x9f33, 0x9f34, 0x9f35, 0x9f1e, 0x84, 0x9f09, 0x9f41, 0x9f63,
];

/** Issuer script results notification (request tags that identify the transaction, then DF31). */
export const FIELD55_SCRIPT_TAGS: readonly number[] = [0x9f33, 0x95, 0x9f37, 0x9f1e, 0x9f10, 0x9f26, 0x9f36, 0x82, 0xdf31, 0x9f1a, 0x9a];

/** Upload/advice after completion: the request's tags with the final cryptogram, plus TSI and the scripts' results. */
export const FIELD55_FINAL_TAGS: readonly number[] = [...FIELD55_REQUEST_TAGS, 0x9b, 0xdf31];

export const FIELD55_MAX = 255;

/** The objects of `tags` the data holds, in order (tags absent are skipped). */
export function buildField55(data: EmvData, tags: readonly number[] = FIELD55_REQUEST_TAGS): Uint8Array {
  const w = new TlvWriter(256);
  for (let i = 0; i < tags.length; i++) {
    const v = data.get(tags[i]!);
    if (v && (v.length > 0 || tags[i] === 0xdf31)) {
      if (tags[i] === 0xdf31 && v.length === 0) continue;
      w.put(tags[i]!, v);
    }
  }
  return w.toBytes();
}
