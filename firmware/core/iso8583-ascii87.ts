/**
 * Plain ISO 8583:1987 in its all-ASCII form, as data: MTI as 4 ASCII digits, bitmaps as 16 hex characters each
 * (the common choice of ASCII packagers; ISO8583_1987_ASCII_BINARY_BITMAP has raw 8-byte bitmaps), ASCII LL/LLL
 * lengths, numerics as ASCII digits, binary fields (b) as hex characters, 128 fields with a secondary bitmap.
 * Formats per the 1987 data element directory; x+n amounts (28-31, 97) carry their C/D sign as text.
 */
import type { FieldSpec, MessageSpec } from "./iso8583-spec";

function n(length: number, name: string): FieldSpec {
  return { name, type: "n", length, encoding: "ascii", pad: "0" };
}
function nVar(kind: "LL" | "LLL", length: number, name: string, redact?: "pan"): FieldSpec {
  return { name, type: "n", length, kind, encoding: "ascii", redact };
}
function z(kind: "LL" | "LLL", length: number, name: string): FieldSpec {
  return { name, type: "z", length, kind, encoding: "ascii", redact: "all" };
}
function an(length: number, name: string): FieldSpec {
  return { name, type: "an", length, encoding: "ascii" };
}
function ans(length: number, name: string): FieldSpec {
  return { name, type: "ans", length, encoding: "ascii" };
}
function ansVar(kind: "LL" | "LLL", length: number, name: string, redact?: "all"): FieldSpec {
  return { name, type: "ans", length, kind, encoding: "ascii", redact };
}
function anVar(kind: "LL" | "LLL", length: number, name: string): FieldSpec {
  return { name, type: "an", length, kind, encoding: "ascii" };
}
/** b of `bytes` bytes (the standard writes b 64 in bits), as hex characters. */
function b(bytes: number, name: string, redact?: "all"): FieldSpec {
  return { name, type: "b", length: bytes, encoding: "hex", redact };
}

const fields: { [field: number]: FieldSpec } = {
  2: nVar("LL", 19, "Primary account number", "pan"),
  3: n(6, "Processing code"),
  4: n(12, "Amount, transaction"),
  5: n(12, "Amount, settlement"),
  6: n(12, "Amount, cardholder billing"),
  7: n(10, "Transmission date and time"),
  8: n(8, "Amount, cardholder billing fee"),
  9: n(8, "Conversion rate, settlement"),
  10: n(8, "Conversion rate, cardholder billing"),
  11: n(6, "Systems trace audit number"),
  12: n(6, "Time, local transaction"),
  13: n(4, "Date, local transaction"),
  14: n(4, "Date, expiration"),
  15: n(4, "Date, settlement"),
  16: n(4, "Date, conversion"),
  17: n(4, "Date, capture"),
  18: n(4, "Merchant type"),
  19: n(3, "Acquiring institution country code"),
  20: n(3, "PAN extended, country code"),
  21: n(3, "Forwarding institution country code"),
  22: n(3, "POS entry mode"),
  23: n(3, "Card sequence number"),
  24: n(3, "Network international identifier"),
  25: n(2, "POS condition code"),
  26: n(2, "POS PIN capture code"),
  27: n(1, "Authorization id response length"),
  28: an(9, "Amount, transaction fee"),
  29: an(9, "Amount, settlement fee"),
  30: an(9, "Amount, transaction processing fee"),
  31: an(9, "Amount, settlement processing fee"),
  32: nVar("LL", 11, "Acquiring institution id"),
  33: nVar("LL", 11, "Forwarding institution id"),
  34: ansVar("LL", 28, "PAN, extended"),
  35: z("LL", 37, "Track 2 data"),
  36: z("LLL", 104, "Track 3 data"),
  37: an(12, "Retrieval reference number"),
  38: an(6, "Authorization id response"),
  39: an(2, "Response code"),
  40: an(3, "Service restriction code"),
  41: ans(8, "Card acceptor terminal id"),
  42: ans(15, "Card acceptor id code"),
  43: ans(40, "Card acceptor name/location"),
  44: anVar("LL", 25, "Additional response data"),
  45: ansVar("LL", 76, "Track 1 data", "all"),
  46: ansVar("LLL", 999, "Additional data, ISO"),
  47: ansVar("LLL", 999, "Additional data, national"),
  48: ansVar("LLL", 999, "Additional data, private"),
  49: an(3, "Currency code, transaction"),
  50: an(3, "Currency code, settlement"),
  51: an(3, "Currency code, cardholder billing"),
  52: b(8, "PIN data", "all"),
  53: n(16, "Security related control information"),
  54: anVar("LLL", 120, "Additional amounts"),
  55: ansVar("LLL", 999, "Reserved ISO (55)"),
  56: ansVar("LLL", 999, "Reserved ISO (56)"),
  57: ansVar("LLL", 999, "Reserved national (57)"),
  58: ansVar("LLL", 999, "Reserved national (58)"),
  59: ansVar("LLL", 999, "Reserved national (59)"),
  60: ansVar("LLL", 999, "Reserved national (60)"),
  61: ansVar("LLL", 999, "Reserved private (61)"),
  62: ansVar("LLL", 999, "Reserved private (62)"),
  63: ansVar("LLL", 999, "Reserved private (63)"),
  64: b(8, "Message authentication code", "all"),
  65: b(1, "Bitmap, extended"),
  66: n(1, "Settlement code"),
  67: n(2, "Extended payment code"),
  68: n(3, "Receiving institution country code"),
  69: n(3, "Settlement institution country code"),
  70: n(3, "Network management information code"),
  71: n(4, "Message number"),
  72: n(4, "Message number, last"),
  73: n(6, "Date, action YYMMDD"),
  74: n(10, "Credits, number"),
  75: n(10, "Credits, reversal number"),
  76: n(10, "Debits, number"),
  77: n(10, "Debits, reversal number"),
  78: n(10, "Transfer, number"),
  79: n(10, "Transfer, reversal number"),
  80: n(10, "Inquiries, number"),
  81: n(10, "Authorizations, number"),
  82: n(12, "Credits, processing fee amount"),
  83: n(12, "Credits, transaction fee amount"),
  84: n(12, "Debits, processing fee amount"),
  85: n(12, "Debits, transaction fee amount"),
  86: n(16, "Credits, amount"),
  87: n(16, "Credits, reversal amount"),
  88: n(16, "Debits, amount"),
  89: n(16, "Debits, reversal amount"),
  90: n(42, "Original data elements"),
  91: an(1, "File update code"),
  92: an(2, "File security code"),
  93: an(5, "Response indicator"),
  94: an(7, "Service indicator"),
  95: an(42, "Replacement amounts"),
  96: b(8, "Message security code"),
  97: an(17, "Amount, net settlement"),
  98: ans(25, "Payee"),
  99: nVar("LL", 11, "Settlement institution id"),
  100: nVar("LL", 11, "Receiving institution id"),
  101: ansVar("LL", 17, "File name"),
  102: ansVar("LL", 28, "Account id 1"),
  103: ansVar("LL", 28, "Account id 2"),
  104: ansVar("LLL", 100, "Transaction description"),
  128: b(8, "Message authentication code", "all"),
};
for (let f = 105; f <= 127; f++) {
  const what = f <= 111 ? "Reserved ISO" : f <= 119 ? "Reserved national" : "Reserved private";
  fields[f] = ansVar("LLL", 999, `${what} (${f})`);
}

export const ISO8583_1987_ASCII_FIELDS: { readonly [field: number]: FieldSpec } = fields;

/** ISO 8583:1987, ASCII MTI, hex-ASCII bitmaps, ASCII lengths. */
export const ISO8583_1987_ASCII: MessageSpec = {
  name: "ISO 8583:1987 ASCII",
  mti: "ascii",
  bitmap: "hex",
  secondaryBitmap: true,
  prefixEncoding: "ascii",
  fields,
};

/** The same with raw 8-byte bitmaps (also common on TCP links). */
export const ISO8583_1987_ASCII_BINARY_BITMAP: MessageSpec = { ...ISO8583_1987_ASCII, name: "ISO 8583:1987 ASCII (binary bitmap)", bitmap: "binary" };
