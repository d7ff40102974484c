/**
 * Terminal parameters in the shapes the kernel takes, from the hex/number forms the parameter download
 * or a config file gives: AIDs (with UnionPay-style defaults) and CA public keys.
 */
import { hexToBytes } from "../core/bytes";
import type { AidConfig, CaPublicKey, ContactlessLimits } from "./types";

/** UnionPay application identifiers (spec/devices.md §4.6; the debit/credit mapping is UNVERIFIED there). */
export const UNIONPAY_AIDS = {
  debit: "A000000333010101",
  credit: "A000000333010102",
  quasiCredit: "A000000333010103",
  electronicCash: "A000000333010106",
} as const;

export interface AidParams {
  aid: string;
  partialMatch?: boolean;
  appVersion?: string;
  tacDenial?: string;
  tacOnline?: string;
  tacDefault?: string;
  floorLimit?: number;
  randomThreshold?: number;
  targetPercent?: number;
  maxTargetPercent?: number;
  defaultDdol?: string;
  defaultTdol?: string;
  contactless?: { transactionLimit: number; cvmLimit: number; floorLimit: number; ttq?: string };
}

/**
 * An AID's parameters with defaults: partial matching on, version 0030, TACs Denial 0010000000 /
 * Online D84004F800 / Default D84000A800 (values common in UnionPay terminal parameter sets), floor
 * limit 0 (everything online), no random selection, default DDOL 9F3704; contactless TTQ 36000080
 * (qPBOC, contact chip, online PIN, signature; ODA for online supported).
 */
export function aidConfig(p: AidParams): AidConfig {
  let contactless: ContactlessLimits | undefined;
  if (p.contactless) contactless = { transactionLimit: p.contactless.transactionLimit, cvmLimit: p.contactless.cvmLimit, floorLimit: p.contactless.floorLimit, ttq: hexToBytes(p.contactless.ttq ?? "36000080") };
  return {
    aid: hexToBytes(p.aid),
    partialMatch: p.partialMatch ?? true,
    appVersion: hexToBytes(p.appVersion ?? "0030"),
    tacDenial: hexToBytes(p.tacDenial ?? "0010000000"),
    tacOnline: hexToBytes(p.tacOnline ?? "D84004F800"),
    tacDefault: hexToBytes(p.tacDefault ?? "D84000A800"),
    floorLimit: p.floorLimit ?? 0,
    randomThreshold: p.randomThreshold ?? 0,
    targetPercent: p.targetPercent ?? 0,
    maxTargetPercent: p.maxTargetPercent ?? 0,
    defaultDdol: hexToBytes(p.defaultDdol ?? "9F3704"),
    defaultTdol: p.defaultTdol ? hexToBytes(p.defaultTdol) : undefined,
    contactless,
  };
}

/** A CA public key from hex parameters. */
export function caPublicKey(p: { rid: string; index: number; modulus: string; exponent: string; expiry?: string }): CaPublicKey {
  return { rid: hexToBytes(p.rid), index: p.index, modulus: hexToBytes(p.modulus), exponent: hexToBytes(p.exponent), expiry: p.expiry };
}
