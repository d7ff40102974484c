/**
 * A realistic CUP field 55 (ICC data, BER-TLV) of a contact PBOC/UnionPay debit sale of 123.45 CNY.
 * Made up by us (not from a real card), each element with the format and length EMV Book 3 Annex A
 * gives it. For the TLV tests and the bench harness.
 */
export interface Field55Element {
  tag: number;
  hex: string;
  name: string;
}

export const FIELD55_ELEMENTS: readonly Field55Element[] = [
  { tag: 0x9f26, hex: "8F2A3C7D15E6B940", name: "Application Cryptogram (ARQC)" },
  { tag: 0x9f27, hex: "80", name: "Cryptogram Information Data (ARQC)" },
  { tag: 0x9f10, hex: "07010103A0A800010A01000000000052C6E7A100000000000000000000000000", name: "Issuer Application Data (32 bytes)" },
  { tag: 0x9f37, hex: "5D3A91C4", name: "Unpredictable Number" },
  { tag: 0x9f36, hex: "0123", name: "Application Transaction Counter" },
  { tag: 0x95, hex: "0000048000", name: "Terminal Verification Results" },
  { tag: 0x9a, hex: "250615", name: "Transaction Date (YYMMDD)" },
  { tag: 0x9c, hex: "00", name: "Transaction Type (goods/services)" },
  { tag: 0x9f02, hex: "000000012345", name: "Amount, Authorised (n12: 123.45)" },
  { tag: 0x5f2a, hex: "0156", name: "Transaction Currency Code (CNY)" },
  { tag: 0x82, hex: "7C00", name: "Application Interchange Profile" },
  { tag: 0x9f1a, hex: "0156", name: "Terminal Country Code (China)" },
  { tag: 0x9f03, hex: "000000000000", name: "Amount, Other" },
  { tag: 0x9f33, hex: "E0E9C8", name: "Terminal Capabilities" },
  { tag: 0x9f34, hex: "420300", name: "CVM Results (online PIN, successful)" },
  { tag: 0x9f35, hex: "22", name: "Terminal Type (attended, merchant, online only)" },
  { tag: 0x9f1e, hex: "3132333435363738", name: "IFD Serial Number (an8 \"12345678\")" },
  { tag: 0x84, hex: "A000000333010101", name: "Dedicated File Name (UnionPay debit AID)" },
  { tag: 0x9f09, hex: "0030", name: "Application Version Number (terminal)" },
  { tag: 0x9f41, hex: "00000123", name: "Transaction Sequence Counter" },
  { tag: 0x9f63, hex: "30313032303030300000000000000000", name: "Card Product Identification Information (PBOC)" },
  { tag: 0x9f21, hex: "143015", name: "Transaction Time (HHMMSS)" },
  { tag: 0x5f34, hex: "01", name: "PAN Sequence Number" },
];

/** The field 55 bytes in hex (187 bytes, 23 objects): the elements above, in order, encoded as TLV. */
export const FIELD55_HEX =
  "9F26088F2A3C7D15E6B9409F2701809F102007010103A0A800010A01000000000052C6E7A100000000000000000000000000" +
  "9F37045D3A91C49F36020123950500000480009A032506159C01009F02060000000123455F2A02015682027C009F1A020156" +
  "9F03060000000000009F3303E0E9C89F34034203009F3501229F1E0831323334353637388408A0000003330101019F090200" +
  "309F4104000001239F6310303130323030303000000000000000009F21031430155F340101";
