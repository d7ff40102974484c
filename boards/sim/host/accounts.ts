/**
 * Test cardholder accounts by PAN: balance, PIN, status, expiry, wrong-PIN counter, pre-auth holds. The host's
 * issuer side: the answers a real issuer would give (14 unknown card, 54 expired, 41 lost, 43 stolen, 62
 * restricted, 04 pick up, 34 fraud, 57 not permitted, 55 wrong PIN, 75 PIN tries exceeded, 51 insufficient funds).
 */
import type { IssuerScript } from "../issuer/issuer.ts";
import { luhnValid } from "../../../firmware/core/luhn.ts";
import { PIN_TRY_LIMIT, TEST_CARDS, type AccountStatus, type TestCard } from "./factory.ts";

export interface Account {
  pan: string;
  pin: string;
  /** Ledger balance in fen (debits lower it, credits raise it). */
  balance: number;
  /** Sum of open pre-auth holds, in fen: available = balance - held. */
  held: number;
  status: AccountStatus;
  /** YYMM. */
  expiry: string;
  accountType: "10" | "30";
  foreign: boolean;
  /** Wrong PINs in a row. */
  pinTries: number;
  pinTryLimit: number;
  /** Refuse a PIN-less request (55) when set. */
  requirePin: boolean;
  name?: string;
  /** Chip answers: issuer scripts sent in field 55 with an approval; a deliberately wrong ARPC (tests). */
  emv?: { scripts?: IssuerScript[]; corruptArpc?: boolean };
}

export interface AccountInput {
  pan: string;
  pin?: string;
  balance?: number;
  status?: AccountStatus;
  expiry?: string;
  accountType?: "10" | "30";
  foreign?: boolean;
  pinTryLimit?: number;
  requirePin?: boolean;
  name?: string;
  emv?: Account["emv"];
}

/** Field 39 for a card status (undefined: usable). */
export const STATUS_CODES: Record<AccountStatus, string | undefined> = {
  ok: undefined,
  expired: "54",
  lost: "41",
  stolen: "43",
  restricted: "62",
  "pick-up": "04",
  fraud: "34",
  "not-permitted": "57",
  "pin-locked": "75",
};

export class AccountBook {
  private readonly byPan = new Map<string, Account>();
  pinTryLimit: number;

  constructor(options: { factory?: boolean; accounts?: readonly AccountInput[]; pinTryLimit?: number } = {}) {
    this.pinTryLimit = options.pinTryLimit ?? PIN_TRY_LIMIT;
    if (options.factory !== false) for (const c of Object.values(TEST_CARDS) as TestCard[]) this.add({ ...c, name: c.name });
    for (const a of options.accounts ?? []) this.add(a);
  }

  /** Adds or replaces an account. A PAN failing Luhn is refused (E_HOST_PAN). */
  add(a: AccountInput): Account {
    if (!/^\d{12,19}$/.test(a.pan) || !luhnValid(a.pan)) throw new Error(`E_HOST_PAN: ${a.pan} is not a Luhn-valid PAN`);
    const acc: Account = {
      pan: a.pan,
      pin: a.pin ?? "123456",
      balance: a.balance ?? 1_000_000,
      held: 0,
      status: a.status ?? "ok",
      expiry: a.expiry ?? "4912",
      accountType: a.accountType ?? "10",
      foreign: a.foreign ?? false,
      pinTries: 0,
      pinTryLimit: a.pinTryLimit ?? this.pinTryLimit,
      requirePin: a.requirePin ?? false,
      name: a.name,
      ...(a.emv ? { emv: a.emv } : {}),
    };
    this.byPan.set(a.pan, acc);
    return acc;
  }

  get(pan: string): Account | undefined {
    return this.byPan.get(pan);
  }

  /** The account or a thrown E_HOST_ACCOUNT (for test controls). */
  must(pan: string): Account {
    const a = this.byPan.get(pan);
    if (!a) throw new Error(`E_HOST_ACCOUNT: no account ${pan}`);
    return a;
  }

  list(): Account[] {
    return [...this.byPan.values()];
  }

  remove(pan: string): boolean {
    return this.byPan.delete(pan);
  }

  setStatus(pan: string, status: AccountStatus): void {
    this.must(pan).status = status;
  }

  setBalance(pan: string, balance: number): void {
    this.must(pan).balance = balance;
  }

  /** Clears the wrong-PIN counter (and a pin-locked status). */
  resetPinTries(pan: string): void {
    const a = this.must(pan);
    a.pinTries = 0;
    if (a.status === "pin-locked") a.status = "ok";
  }

  available(a: Account): number {
    return a.balance - a.held;
  }

  /** Card-level checks before money moves: status, then expiry against `yymm` (the host's date). */
  cardCheck(a: Account, yymm: string): string | undefined {
    const byStatus = STATUS_CODES[a.status];
    if (byStatus) return byStatus;
    if (a.expiry < yymm) return "54";
    return undefined;
  }

  /**
   * A PIN check: `pin` undefined means the request had no PIN block. Right PIN: the counter is cleared. Wrong PIN:
   * 55, and 75 once the tries reach the limit (the account is then pin-locked until resetPinTries).
   */
  checkPin(a: Account, pin: string | undefined): string | undefined {
    if (pin === undefined) return a.requirePin ? "55" : undefined;
    if (a.status === "pin-locked") return "75";
    if (pin === a.pin) {
      a.pinTries = 0;
      return undefined;
    }
    a.pinTries++;
    if (a.pinTries >= a.pinTryLimit) {
      a.status = "pin-locked";
      return "75";
    }
    return "55";
  }

  /** A JSON-able copy (PINs left out). */
  dump(): Array<Omit<Account, "pin">> {
    return this.list().map(({ pin: _pin, ...rest }) => ({ ...rest }));
  }
}
