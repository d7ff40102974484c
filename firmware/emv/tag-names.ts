/**
 * EMV and PBOC/UnionPay tag names for the desk tool and diagnostics (`describeTlv` dumps a TLV buffer
 * the way an emv-decode tool would). Names are facts from the public specifications: EMV 4.x Book 3
 * Annex A and Book 1 Annex B, ISO/IEC 7816-4/-6 templates, EMV contactless (Book C-3 qVSDC, which
 * qPBOC follows), JR/T 0025 (PBOC 3.0) electronic cash and UnionPay terminal parameters.
 * Not imported by the core: the firmware core never needs names.
 */
import { TlvCursor } from "../core/tlv";
import { bytesToHex } from "../core/bytes";
import { dataFormat } from "../core/dol";

const NAMES: ReadonlyArray<readonly [number, string]> = [
  // ISO/IEC 7816 and EMV templates
  [0x42, "Issuer Identification Number (IIN)"],
  [0x4f, "Application Identifier (AID) - card"],
  [0x50, "Application Label"],
  [0x56, "Track 1 Data"],
  [0x57, "Track 2 Equivalent Data"],
  [0x5a, "Application Primary Account Number (PAN)"],
  [0x61, "Application Template"],
  [0x6f, "File Control Information (FCI) Template"],
  [0x70, "READ RECORD Response Message Template"],
  [0x71, "Issuer Script Template 1"],
  [0x72, "Issuer Script Template 2"],
  [0x73, "Directory Discretionary Template"],
  [0x77, "Response Message Template Format 2"],
  [0x80, "Response Message Template Format 1"],
  [0x81, "Amount, Authorised (Binary)"],
  [0x82, "Application Interchange Profile (AIP)"],
  [0x83, "Command Template"],
  [0x84, "Dedicated File (DF) Name"],
  [0x86, "Issuer Script Command"],
  [0x87, "Application Priority Indicator"],
  [0x88, "Short File Identifier (SFI)"],
  [0x89, "Authorisation Code"],
  [0x8a, "Authorisation Response Code"],
  [0x8c, "Card Risk Management Data Object List 1 (CDOL1)"],
  [0x8d, "Card Risk Management Data Object List 2 (CDOL2)"],
  [0x8e, "Cardholder Verification Method (CVM) List"],
  [0x8f, "Certification Authority Public Key Index (card)"],
  [0x90, "Issuer Public Key Certificate"],
  [0x91, "Issuer Authentication Data"],
  [0x92, "Issuer Public Key Remainder"],
  [0x93, "Signed Static Application Data"],
  [0x94, "Application File Locator (AFL)"],
  [0x95, "Terminal Verification Results (TVR)"],
  [0x97, "Transaction Certificate Data Object List (TDOL)"],
  [0x98, "Transaction Certificate (TC) Hash Value"],
  [0x99, "Transaction Personal Identification Number (PIN) Data"],
  [0x9a, "Transaction Date"],
  [0x9b, "Transaction Status Information (TSI)"],
  [0x9c, "Transaction Type"],
  [0x9d, "Directory Definition File (DDF) Name"],
  [0xa5, "File Control Information (FCI) Proprietary Template"],
  [0x5f20, "Cardholder Name"],
  [0x5f24, "Application Expiration Date"],
  [0x5f25, "Application Effective Date"],
  [0x5f28, "Issuer Country Code"],
  [0x5f2a, "Transaction Currency Code"],
  [0x5f2d, "Language Preference"],
  [0x5f30, "Service Code"],
  [0x5f34, "Application PAN Sequence Number"],
  [0x5f36, "Transaction Currency Exponent"],
  [0x5f50, "Issuer URL"],
  [0x5f53, "International Bank Account Number (IBAN)"],
  [0x5f54, "Bank Identifier Code (BIC)"],
  [0x5f55, "Issuer Country Code (alpha2 format)"],
  [0x5f56, "Issuer Country Code (alpha3 format)"],
  [0x5f57, "Account Type"],
  [0x9f01, "Acquirer Identifier"],
  [0x9f02, "Amount, Authorised (Numeric)"],
  [0x9f03, "Amount, Other (Numeric)"],
  [0x9f04, "Amount, Other (Binary)"],
  [0x9f05, "Application Discretionary Data"],
  [0x9f06, "Application Identifier (AID) - terminal"],
  [0x9f07, "Application Usage Control"],
  [0x9f08, "Application Version Number (card)"],
  [0x9f09, "Application Version Number (terminal)"],
  [0x9f0b, "Cardholder Name Extended"],
  [0x9f0d, "Issuer Action Code - Default"],
  [0x9f0e, "Issuer Action Code - Denial"],
  [0x9f0f, "Issuer Action Code - Online"],
  [0x9f10, "Issuer Application Data"],
  [0x9f11, "Issuer Code Table Index"],
  [0x9f12, "Application Preferred Name"],
  [0x9f13, "Last Online Application Transaction Counter (ATC) Register"],
  [0x9f14, "Lower Consecutive Offline Limit"],
  [0x9f15, "Merchant Category Code"],
  [0x9f16, "Merchant Identifier"],
  [0x9f17, "Personal Identification Number (PIN) Try Counter"],
  [0x9f18, "Issuer Script Identifier"],
  [0x9f1a, "Terminal Country Code"],
  [0x9f1b, "Terminal Floor Limit"],
  [0x9f1c, "Terminal Identification"],
  [0x9f1d, "Terminal Risk Management Data"],
  [0x9f1e, "Interface Device (IFD) Serial Number"],
  [0x9f1f, "Track 1 Discretionary Data"],
  [0x9f20, "Track 2 Discretionary Data"],
  [0x9f21, "Transaction Time"],
  [0x9f22, "Certification Authority Public Key Index (terminal)"],
  [0x9f23, "Upper Consecutive Offline Limit"],
  [0x9f24, "Payment Account Reference (PAR)"],
  [0x9f26, "Application Cryptogram"],
  [0x9f27, "Cryptogram Information Data"],
  [0x9f2d, "ICC PIN Encipherment Public Key Certificate"],
  [0x9f2e, "ICC PIN Encipherment Public Key Exponent"],
  [0x9f2f, "ICC PIN Encipherment Public Key Remainder"],
  [0x9f32, "Issuer Public Key Exponent"],
  [0x9f33, "Terminal Capabilities"],
  [0x9f34, "Cardholder Verification Method (CVM) Results"],
  [0x9f35, "Terminal Type"],
  [0x9f36, "Application Transaction Counter (ATC)"],
  [0x9f37, "Unpredictable Number"],
  [0x9f38, "Processing Options Data Object List (PDOL)"],
  [0x9f39, "Point-of-Service (POS) Entry Mode"],
  [0x9f3a, "Amount, Reference Currency"],
  [0x9f3b, "Application Reference Currency"],
  [0x9f3c, "Transaction Reference Currency Code"],
  [0x9f3d, "Transaction Reference Currency Exponent"],
  [0x9f40, "Additional Terminal Capabilities"],
  [0x9f41, "Transaction Sequence Counter"],
  [0x9f42, "Application Currency Code"],
  [0x9f43, "Application Reference Currency Exponent"],
  [0x9f44, "Application Currency Exponent"],
  [0x9f45, "Data Authentication Code"],
  [0x9f46, "ICC Public Key Certificate"],
  [0x9f47, "ICC Public Key Exponent"],
  [0x9f48, "ICC Public Key Remainder"],
  [0x9f49, "Dynamic Data Authentication Data Object List (DDOL)"],
  [0x9f4a, "Static Data Authentication Tag List"],
  [0x9f4b, "Signed Dynamic Application Data"],
  [0x9f4c, "ICC Dynamic Number"],
  [0x9f4d, "Log Entry"],
  [0x9f4e, "Merchant Name and Location"],
  [0x9f4f, "Log Format"],
  [0xbf0c, "File Control Information (FCI) Issuer Discretionary Data"],
  // Contactless (EMV Book C-3 / qPBOC)
  [0x9f5d, "Available Offline Spending Amount"],
  [0x9f66, "Terminal Transaction Qualifiers (TTQ)"],
  [0x9f6c, "Card Transaction Qualifiers (CTQ)"],
  [0x9f6e, "Form Factor Indicator"],
  [0x9f7c, "Customer Exclusive Data"],
  // PBOC 3.0 / UnionPay card data
  [0x9f51, "Application Currency Code (PBOC electronic cash)"],
  [0x9f61, "Cardholder ID Number (PBOC)"],
  [0x9f62, "Cardholder ID Type (PBOC)"],
  [0x9f63, "Card Product Identification Information (PBOC)"],
  [0x9f69, "Card Authentication Related Data (UnionPay fDDA)"],
  [0x9f6d, "Electronic Cash Reset Threshold (PBOC)"],
  [0x9f74, "Electronic Cash Issuer Authorisation Code (PBOC)"],
  [0x9f77, "Electronic Cash Balance Limit (PBOC)"],
  [0x9f78, "Electronic Cash Single Transaction Limit (PBOC)"],
  [0x9f79, "Electronic Cash Balance (PBOC)"],
  [0x9f7a, "Electronic Cash Terminal Support Indicator (PBOC)"],
  [0x9f7b, "Electronic Cash Terminal Transaction Limit (PBOC)"],
  [0xdf4d, "Load Log Entry (PBOC)"],
  [0xdf4f, "Load Log Format (PBOC)"],
  [0xdf71, "Electronic Cash Second Currency Code (PBOC)"],
  [0xdf76, "Electronic Cash Second Currency Reset Threshold (PBOC)"],
  [0xdf77, "Electronic Cash Second Currency Balance Limit (PBOC)"],
  [0xdf78, "Electronic Cash Second Currency Single Transaction Limit (PBOC)"],
  [0xdf79, "Electronic Cash Second Currency Balance (PBOC)"],
  // UnionPay terminal data in field 55 and terminal parameters
  [0xdf31, "Issuer Script Results (UnionPay)"],
  [0xdf69, "SM Algorithm Supported Indicator (PBOC)"],
  [0xdf01, "Application Selection Indicator (UnionPay AID parameter)"],
  [0xdf11, "Terminal Action Code - Default (UnionPay AID parameter)"],
  [0xdf12, "Terminal Action Code - Online (UnionPay AID parameter)"],
  [0xdf13, "Terminal Action Code - Denial (UnionPay AID parameter)"],
  [0xdf14, "Default DDOL (UnionPay AID parameter)"],
  [0xdf15, "Threshold Value for Biased Random Selection (UnionPay AID parameter)"],
  [0xdf16, "Maximum Target Percentage for Biased Random Selection (UnionPay AID parameter)"],
  [0xdf17, "Target Percentage for Random Selection (UnionPay AID parameter)"],
  [0xdf18, "Terminal Online PIN Capability (UnionPay AID parameter)"],
  [0xdf19, "Contactless Reader Offline Floor Limit (UnionPay AID parameter)"],
  [0xdf20, "Contactless Reader Transaction Limit (UnionPay AID parameter)"],
  [0xdf21, "Contactless Reader CVM Required Limit (UnionPay AID parameter)"],
  [0xdf02, "CA Public Key Modulus (UnionPay CAPK parameter)"],
  [0xdf03, "CA Public Key Check Sum (UnionPay CAPK parameter)"],
  [0xdf04, "CA Public Key Exponent (UnionPay CAPK parameter)"],
  [0xdf05, "CA Public Key Expiry Date (UnionPay CAPK parameter)"],
  [0xdf06, "CA Public Key Hash Algorithm Indicator (UnionPay CAPK parameter)"],
  [0xdf07, "CA Public Key Algorithm Indicator (UnionPay CAPK parameter)"],
];

const BY_TAG: Map<number, string> = new Map(NAMES);

/** Every tag the dictionary knows, with its name, in table order. */
export const EMV_TAG_NAMES: ReadonlyArray<readonly [number, string]> = NAMES;

/** The name of a tag ("9F26" -> "Application Cryptogram"), or undefined. */
export function tagName(tag: number): string | undefined {
  return BY_TAG.get(tag);
}

/** Tag number as EMV writes it: upper-case hex, whole bytes ("9F26", "5A"). */
export function tagHex(tag: number): string {
  const s = tag.toString(16).toUpperCase();
  return s.length & 1 ? "0" + s : s;
}

function printable(buf: Uint8Array, off: number, len: number): string | undefined {
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * A readable dump of BER-TLV data, one line per object, indented by depth:
 *   `9F26 Application Cryptogram [8] 8F2A3C7D15E6B940`
 *   `50 Application Label [10] 50424F43204445424954 "PBOC DEBIT"`
 * Templates list their children below them. Malformed data throws the core's E_TLV_* errors.
 */
export function describeTlv(buf: Uint8Array, off = 0, len = buf.length - off): string[] {
  const lines: string[] = [];
  const c = new TlvCursor().reset(buf, off, len);
  while (c.nextDeep()) {
    let line = "";
    for (let d = 0; d < c.depth; d++) line += "  ";
    line += `${tagHex(c.tag)} ${tagName(c.tag) ?? "(unknown tag)"} [${c.valueLength}]`;
    if (!c.constructed) {
      line += " " + bytesToHex(buf, c.valueOffset, c.valueLength);
      const f = dataFormat(c.tag);
      if (f === "a" || f === "an" || f === "ans") {
        const text = printable(buf, c.valueOffset, c.valueLength);
        if (text !== undefined) line += ` "${text}"`;
      }
    }
    lines.push(line);
  }
  return lines;
}
