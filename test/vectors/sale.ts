/**
 * A CUP chip sale request (0200) with PIN, for the ISO 8583 tests and the bench harness: fields 2, 3, 4, 11, 14,
 * 22, 25, 35, 41, 42, 49, 52, 55, 60, 64. Values are strings: digits for n, track data with `D` for z, text for
 * an/ans, upper-case hex for b. Field 55 is the realistic ICC data of test/vectors/field55.ts (123.45 CNY, the
 * amount of field 4). Field 64 is the CUP ECB MAC under SALE_MAK_HEX (checked by test/unit/cup/fields.test.ts).
 * Made-up card and keys (the worked example's merchant, terminal and MAK of spec/cup-8583.md §9).
 */
import { FIELD55_HEX } from "./field55";

export const SALE_MTI = "0200";
export const SALE_TPDU_HEX = "6000030000";
export const SALE_HEADER_HEX = "603100310001";
/** MAK of spec/cup-8583.md §9. */
export const SALE_MAK_HEX = "3B5D7F9E1A2C4E6F";

export const SALE_FIELDS: { readonly [field: number]: string } = {
  2: "6222021234567890123",
  3: "000000",
  4: "000000012345",
  11: "000124",
  14: "3012",
  22: "051",
  25: "00",
  35: "6222021234567890123D30122011234567890",
  41: "10000001",
  42: "898100012345678",
  49: "156",
  52: "2A084C604973D4AE",
  55: FIELD55_HEX,
  60: "22000001000",
  64: "3734304439323744",
};

/** The field numbers above, ascending. */
export const SALE_FIELD_NUMBERS: readonly number[] = [2, 3, 4, 11, 14, 22, 25, 35, 41, 42, 49, 52, 55, 60, 64];
