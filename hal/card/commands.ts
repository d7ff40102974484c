/** EMV and ISO 7816-4 command APDUs the kernel sends (EMV Book 1 §11, Book 3 §6.5). */
import { buildApdu } from "./apdu";
import { HalError } from "../errors";

/** "1PAY.SYS.DDF01" (contact PSE) and "2PAY.SYS.DDF01" (contactless PPSE). */
export const PSE = ascii("1PAY.SYS.DDF01");
export const PPSE = ascii("2PAY.SYS.DDF01");

/** SELECT by DF name (P1 04); `next` selects the next occurrence (P2 02). Case 4, Le 00. */
export function selectByName(name: Uint8Array, next = false): Uint8Array {
  if (name.length < 5 || name.length > 16) throw new HalError("E_APDU_FORMAT", `DF name of ${name.length} bytes: 5..16`);
  return buildApdu(0x00, 0xa4, 0x04, next ? 0x02 : 0x00, name, 256);
}

/** READ RECORD `record` of short file `sfi` (P2 = SFI << 3 | 4). Case 2, Le 00. */
export function readRecord(record: number, sfi: number): Uint8Array {
  if (!(record >= 1 && record <= 255) || !(sfi >= 1 && sfi <= 30)) throw new HalError("E_APDU_FORMAT", `record ${record} / SFI ${sfi}`);
  return buildApdu(0x00, 0xb2, record, (sfi << 3) | 4, undefined, 256);
}

/** GET PROCESSING OPTIONS with the PDOL data wrapped in tag 83. Case 4. */
export function getProcessingOptions(pdolData: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (pdolData.length > 253) throw new HalError("E_APDU_FORMAT", "PDOL data too long");
  const body = new Uint8Array(2 + pdolData.length);
  body[0] = 0x83;
  body[1] = pdolData.length;
  body.set(pdolData, 2);
  return buildApdu(0x80, 0xa8, 0x00, 0x00, body, 256);
}

/** GET DATA for a primitive tag (9F17 PIN try counter, 9F36 ATC, 9F13 last online ATC, 9F4F log format). Case 2. */
export function getData(tag: number): Uint8Array {
  return buildApdu(0x80, 0xca, (tag >> 8) & 0xff, tag & 0xff, undefined, 256);
}

/** VERIFY with a plaintext offline PIN block (ISO 9564 format 2, 8 bytes; P2 80). Case 3. */
export function verifyPlaintextPin(block: Uint8Array): Uint8Array {
  if (block.length !== 8) throw new HalError("E_APDU_FORMAT", "plaintext PIN block is 8 bytes");
  return buildApdu(0x00, 0x20, 0x00, 0x80, block);
}

/** Cryptogram types for GENERATE AC P1 (EMV Book 3 §6.5.5): AAC 00, TC 40, ARQC 80; `cda` adds 10. */
export type CryptogramType = "AAC" | "TC" | "ARQC";
export function generateAc(type: CryptogramType, cdolData: Uint8Array, cda = false): Uint8Array {
  const p1 = (type === "AAC" ? 0x00 : type === "TC" ? 0x40 : 0x80) | (cda ? 0x10 : 0);
  return buildApdu(0x80, 0xae, p1, 0x00, cdolData, 256);
}

/** GET RESPONSE (T=0 transport), Le 1..256. */
export function getResponse(le: number): Uint8Array {
  return buildApdu(0x00, 0xc0, 0x00, 0x00, undefined, le);
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
