/**
 * The EMV kernel (contact, and qPBOC contactless) for UnionPay/PBOC cards. The transaction layer calls
 * performContactTransaction / performContactlessTransaction with a card slot, the terminal's parameters,
 * the transaction and its callbacks (PED, cardholder choice, online authorisation), and gets the outcome
 * with field 55; swipeDecision / chipFailureAllowsFallback give the chip-first and fallback rules.
 */
export { performContactTransaction, offlineDataAuthentication, selectAndRead, outcomeOf } from "./kernel";
export { performContactlessTransaction, contactlessPreprocess, type ContactlessPreprocessing } from "./contactless";
export { swipeDecision, chipFailureAllowsFallback, chipCardByServiceCode, type SwipeDecision } from "./fallback";
export { buildField55, FIELD55_REQUEST_TAGS, FIELD55_FINAL_TAGS, FIELD55_SCRIPT_TAGS, FIELD55_MAX } from "./field55";
export { aidConfig, caPublicKey, UNIONPAY_AIDS, type AidParams } from "./params";
export { EmvData, TVR, TSI, type TvrBit, type TsiBit } from "./data";
export { EmvContext } from "./context";
export { terminalActionAnalysis, onlineCapability } from "./completion";
export type * from "./types";
