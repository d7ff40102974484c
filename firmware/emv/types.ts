/**
 * The EMV kernel's contracts: terminal and AID parameters, CA public keys, the transaction, the
 * callbacks to the rest of the terminal (card channel, PED, cardholder choice, online authorisation)
 * and the outcome. Amounts are integers in the currency's minor unit (fen for CNY).
 */
import type { ApduResponse } from "../../hal/card/apdu";

/** What the kernel needs of a card slot (ContactCard and ContactlessCard fit). */
export interface CardChannel {
  transmit(apdu: Uint8Array): Promise<ApduResponse>;
}

/** A certification authority public key (terminal parameter, EMV Book 2 §5.1, Annex A). */
export interface CaPublicKey {
  /** Registered application provider id, 5 bytes (A000000333 for UnionPay). */
  rid: Uint8Array;
  /** CA public key index (8F). */
  index: number;
  modulus: Uint8Array;
  /** 03 or 01 00 01. */
  exponent: Uint8Array;
  /** Expiry YYMMDD; an expired key is not used. */
  expiry?: string;
}

/** Contactless (qPBOC) reader limits of an AID, in minor units. */
export interface ContactlessLimits {
  /** Above it the card must be read by contact ("try another interface"). */
  transactionLimit: number;
  /** At or above it a CVM is required (TTQ byte 2 b7). */
  cvmLimit: number;
  /** Above it an online cryptogram is required (TTQ byte 2 b8). */
  floorLimit: number;
  /** TTQ (9F66) base value, 4 bytes; the kernel adds the per-transaction bits. */
  ttq: Uint8Array;
}

/** Parameters of one application the terminal accepts. */
export interface AidConfig {
  aid: Uint8Array;
  /** Application selection indicator: a card AID that merely begins with `aid` also matches. */
  partialMatch: boolean;
  /** Application version number of the terminal (9F09), 2 bytes. */
  appVersion: Uint8Array;
  /** Terminal action codes, 5 bytes each. */
  tacDenial: Uint8Array;
  tacOnline: Uint8Array;
  tacDefault: Uint8Array;
  /** Terminal floor limit (9F1B), minor units. */
  floorLimit: number;
  /** Random selection: below `threshold` a `targetPercent` chance, rising to `maxTargetPercent` at the floor limit. */
  randomThreshold: number;
  targetPercent: number;
  maxTargetPercent: number;
  /** Default DDOL when the card has none (must hold 9F37). */
  defaultDdol: Uint8Array;
  /** Default TDOL (97) when the card has none. */
  defaultTdol?: Uint8Array;
  contactless?: ContactlessLimits;
}

export interface TerminalConfig {
  /** Terminal type (9F35): 22 = attended, online with offline capability, merchant; 14 = ATM. */
  terminalType: number;
  /** Terminal capabilities (9F33), 3 bytes. */
  capabilities: Uint8Array;
  /** Additional terminal capabilities (9F40), 5 bytes. */
  additionalCapabilities: Uint8Array;
  /** Terminal country code (9F1A), 3 digits ("156"). */
  countryCode: string;
  /** IFD serial number (9F1E), 8 characters. */
  ifdSerial: string;
  terminalId?: string;
  merchantId?: string;
  /** Merchant name and location (9F4E), ASCII. */
  merchantName?: string;
  merchantCategoryCode?: string;
  aids: AidConfig[];
  caKeys: CaPublicKey[];
  /** PANs on the terminal exception file (hot list). */
  exceptionFile?: string[];
}

export interface TransactionInput {
  /** Amount, authorised (9F02), minor units. */
  amount: number;
  /** Amount, other (9F03): cashback. */
  otherAmount?: number;
  /** Transaction type (9C): 0x00 goods/services, 0x01 cash, 0x09 cashback, 0x20 refund, 0x31 balance inquiry. */
  type: number;
  /** Transaction currency (5F2A), 3 digits ("156"), and exponent (5F36). */
  currencyCode: string;
  currencyExponent: number;
  /** YYMMDD and HHMMSS, local time. */
  date: string;
  time: string;
  /** Transaction sequence counter (9F41), up to 8 digits. */
  sequenceCounter: number;
  /** Merchant forces the transaction online (TVR byte 4 b4). */
  forceOnline?: boolean;
}

/** One candidate application for the cardholder choice. */
export interface CandidateInfo {
  aid: Uint8Array;
  /** Application preferred name when the code table is supported, else the label. */
  label: string;
  /** Priority 1 (highest) .. 15, 0 = none. */
  priority: number;
  confirmationRequired: boolean;
}

export type PinResult = { status: "ok"; pinBlock?: Uint8Array } | { status: "bypass" } | { status: "unavailable" };

/** Offline plaintext PIN: the PED gives the ISO 9564 format-2 block for VERIFY (a secure reader keeps it off the app). */
export type OfflinePinResult = { status: "ok"; block: Uint8Array } | { status: "bypass" } | { status: "unavailable" };

/** What the kernel hands to the online step. */
export interface OnlineRequest {
  /** Field 55 of the authorisation request. */
  field55: Uint8Array;
  pan: string;
  /** PAN sequence number (5F34) as two digits, when the card has it. */
  panSequence?: string;
  /** Track 2 equivalent data as ASCII digits with '=' (field 35). */
  track2?: string;
  /** YYMM. */
  expiry: string;
  /** The online PIN block from the PED, when online PIN was the CVM. */
  pinBlock?: Uint8Array;
}

/** The host's answer, as the transaction layer read it. */
export interface OnlineResponse {
  /** Field 39 (two characters): becomes the ARC (8A). */
  responseCode: string;
  /** The issuer approved (the transaction layer decides which codes approve). */
  approved: boolean;
  /** Field 55 of the response (91, 71, 72 ...), may be empty. */
  field55?: Uint8Array;
  /** Authorisation code (field 38), 6 characters, when approved. */
  authCode?: string;
}

export interface KernelCallbacks {
  /** Hardware random bytes (unpredictable number, random selection). */
  random(into: Uint8Array): void;
  /** Cardholder choice among several applications: index into the list, or undefined to cancel. */
  chooseApplication?(candidates: CandidateInfo[]): Promise<number | undefined>;
  /** Online enciphered PIN through the PED. */
  onlinePin?(pan: string): Promise<PinResult>;
  /** Offline plaintext PIN (`triesLeft` from 9F17). */
  offlinePin?(triesLeft: number): Promise<OfflinePinResult>;
  /** Online authorisation; undefined = unable to go online. */
  goOnline(request: OnlineRequest): Promise<OnlineResponse | undefined>;
  /** Progress for the UI ("reading card", "processing", "remove card" ...). */
  onEvent?(event: KernelEvent): void;
}

export type KernelEvent = "selected" | "read" | "cvm" | "online" | "completed" | "card-read-done";

export type CryptogramKind = "AAC" | "TC" | "ARQC";

export interface KernelOutcome {
  /** The card's final word: approved (TC) or declined (AAC). */
  result: "approved" | "declined";
  /** Approved/declined by the issuer online (else offline, by the card or terminal). */
  online: boolean;
  /** The host approved but the card declined (AAC at the second GENERATE AC): reverse the authorisation. */
  reversalRequired: boolean;
  /** Could not go online (ARC Z3/Y3). */
  unableToGoOnline: boolean;
  /** Why a decline happened ("card", "issuer", "terminal-denial", "cda-failed", "fdda-failed" ...). */
  reason: string;
  cryptogram: CryptogramKind;
  /** A signature line on the receipt. */
  signatureRequired: boolean;
  pinBlock?: Uint8Array;
  /** Field 55 of the authorisation request (empty when there was none). */
  requestField55: Uint8Array;
  /** Field 55 for the upload/advice after completion (final cryptogram, TVR, TSI, script results). */
  finalField55: Uint8Array;
  /** Issuer script results (DF31), 5 bytes per script; empty when none ran. */
  scriptResults: Uint8Array;
  /** Field 55 of the script result notification (FIELD55_SCRIPT_TAGS); empty when no script ran. */
  scriptField55: Uint8Array;
  tvr: Uint8Array;
  tsi: Uint8Array;
  aid: Uint8Array;
  pan: string;
  panSequence?: string;
  expiry: string;
  track2?: string;
  /** Application label or preferred name for the receipt. */
  label: string;
  interface: "contact" | "contactless";
  /** The issuer's response, when online. */
  response?: OnlineResponse;
}
