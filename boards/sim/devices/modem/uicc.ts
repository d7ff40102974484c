/**
 * What sits in the virtual 4G module's SIM slot. A plain SIM has one subscription; an eUICC (built
 * by the eSIM work on top of this) holds several profiles, enables one at a time and answers ES10
 * APDUs on a logical channel to the ISD-R (AT+CCHO / AT+CGLA / AT+CCHC reach it through the module).
 * After an eUICC switches profile the module re-reads the card on AT+CFUN=0/1 (or a reset): see
 * Modem4G.refreshSim().
 */

/** One subscription: what the module shows (ICCID, IMSI, operator) and what the network does with it. */
export interface SimProfile {
  /** 19-20 digits (China: 8986...). */
  iccid: string;
  imsi: string;
  operator: { long: string; short: string; numeric: string };
  /**
   * The network's view: "ok"; "denied" (arrears / barred: +CREG/+CEREG stat 3); "pdp-reject"
   * (registers, then AT+QIACT fails: the other way an operator treats arrears); "no-service" (the
   * operator has no network here: stat 2, searching, for ever).
   */
  network?: "ok" | "denied" | "pdp-reject" | "no-service";
  /** Registers as roaming (stat 5) instead of home (stat 1). */
  roaming?: boolean;
  /** APNs the network accepts for this subscription (undefined: any). */
  apns?: string[];
}

/** An error the card (or the module for it) reports as `+CME ERROR: <cme>`. */
export class CmeError extends Error {
  constructor(readonly cme: number, message = `CME ${cme}`) {
    super(message);
  }
}

/** The SIM slot's content as the module sees it. */
export interface Uicc {
  /** A card is in the slot (false: +CME ERROR: 10). */
  readonly present: boolean;
  /** "none" when unlocked (or the PIN was entered), else what AT+CPIN? reports: SIM PIN / SIM PUK. */
  readonly lock: "none" | "pin" | "puk";
  /** AT+CPIN="<pin>": true when the card accepts it (a PIN-locked card then reads READY). */
  verifyPin?(pin: string): boolean;
  /** The enabled profile; undefined on an eUICC with no profile enabled (no network service). */
  activeProfile(): SimProfile | undefined;
  /** AT+CCHO="<AID>": opens a logical channel, returns its session id; throw CmeError to refuse. */
  openChannel?(aid: Uint8Array): number;
  /** AT+CGLA=<sid>,...: one C-APDU in, the R-APDU with SW1SW2 out. */
  transmit?(channel: number, apdu: Uint8Array): Uint8Array;
  /** AT+CCHC=<sid>. */
  closeChannel?(channel: number): void;
}

/** A plain SIM card: one profile, optionally PIN-locked. */
export class PlainSim implements Uicc {
  present = true;
  lock: "none" | "pin" | "puk";
  private triesLeft = 3;

  private readonly pin: string;

  constructor(
    public profile: SimProfile,
    options: { pin?: string; locked?: "pin" | "puk" } = {},
  ) {
    this.pin = options.pin ?? "1234";
    this.lock = options.locked ?? "none";
  }

  verifyPin(pin: string): boolean {
    if (this.lock !== "pin") return false;
    if (pin === this.pin) {
      this.lock = "none";
      this.triesLeft = 3;
      return true;
    }
    if (--this.triesLeft === 0) this.lock = "puk";
    return false;
  }

  activeProfile(): SimProfile | undefined {
    return this.profile;
  }
}

/** A China Mobile test subscription (ICCID with a valid Luhn digit is not needed by the module). */
export function chinaMobileProfile(over: Partial<SimProfile> = {}): SimProfile {
  return {
    iccid: "89860012345678901234",
    imsi: "460001234567890",
    operator: { long: "CHINA MOBILE", short: "CMCC", numeric: "46000" },
    network: "ok",
    ...over,
  };
}

/** An empty slot. */
export const NO_SIM: Uicc = { present: false, lock: "none", activeProfile: () => undefined };
