/**
 * One transaction's kernel state: the card channel, the parameters, the data store, what the steps
 * learnt (selected AID's parameters, ODA method and data, DOL data sent) and the terminal data objects
 * (EMV Book 3 §10 and Annex A: amounts, dates, country/currency, capabilities, unpredictable number).
 */
import { CoreError } from "../core/errors";
import { asciiToBytes } from "../core/bytes";
import { Dol } from "../core/dol";
import type { ApduResponse } from "../../hal/card/apdu";
import { EmvData } from "./data";
import type { AidConfig, CardChannel, KernelCallbacks, TerminalConfig, TransactionInput } from "./types";

export type OdaMethod = "none" | "sda" | "dda" | "cda";

export class EmvContext {
  readonly data = new EmvData();
  /** Parameters of the selected application (set by final selection). */
  aid: AidConfig | undefined;
  /** Static data to be authenticated, as collected while reading records. */
  staticData: Uint8Array[] = [];
  /** A record marked for ODA was not a proper 70 template (ODA then fails). */
  odaRecordError = false;
  odaMethod: OdaMethod = "none";
  /** PDOL data sent with GPO, CDOL1/CDOL2 data sent with GENERATE AC (CDA hashes them). */
  pdolData: Uint8Array = new Uint8Array(0);
  cdol1Data: Uint8Array = new Uint8Array(0);
  cdol2Data: Uint8Array = new Uint8Array(0);
  signatureRequired = false;
  pinBlock: Uint8Array | undefined;
  /** DF31 issuer script results, 5 bytes per script. */
  scriptResults: number[] = [];
  label = "";
  private readonly dol = new Dol();

  constructor(
    readonly card: CardChannel,
    readonly config: TerminalConfig,
    readonly tx: TransactionInput,
    readonly cb: KernelCallbacks,
    readonly iface: "contact" | "contactless",
  ) {}

  /** Sends one command; a card error or an SW the caller does not expect is for the caller to judge. */
  transmit(apdu: Uint8Array): Promise<ApduResponse> {
    return this.card.transmit(apdu);
  }

  /** The terminal's data objects for this transaction (before selection; 9F09 etc. follow the AID). */
  initTerminalData(): void {
    const d = this.data;
    const tx = this.tx;
    const c = this.config;
    if (!(tx.amount >= 0 && tx.amount <= 999999999999)) throw new CoreError("E_EMV_AMOUNT", `amount ${tx.amount}`);
    d.setNumeric(0x9f02, tx.amount, 6);
    d.setNumeric(0x9f03, tx.otherAmount ?? 0, 6);
    // Amount, authorised (binary) 81: 4 bytes.
    const bin = new Uint8Array(4);
    let a = tx.amount;
    for (let i = 3; i >= 0; i--) {
      bin[i] = a % 256;
      a = Math.floor(a / 256);
    }
    d.set(0x81, bin);
    d.setNumeric(0x9a, tx.date, 3);
    d.setNumeric(0x9f21, tx.time, 3);
    d.set(0x9c, Uint8Array.of(tx.type));
    d.setNumeric(0x5f2a, tx.currencyCode, 2);
    d.setNumeric(0x5f36, tx.currencyExponent, 1);
    d.setNumeric(0x9f1a, c.countryCode, 2);
    d.set(0x9f33, c.capabilities);
    d.set(0x9f40, c.additionalCapabilities);
    d.setNumeric(0x9f35, c.terminalType.toString(16), 1);
    d.set(0x9f1e, asciiToBytes((c.ifdSerial + "        ").slice(0, 8)));
    d.setNumeric(0x9f41, tx.sequenceCounter, 4);
    if (c.terminalId) d.set(0x9f1c, asciiToBytes((c.terminalId + "        ").slice(0, 8)));
    if (c.merchantId) d.set(0x9f16, asciiToBytes((c.merchantId + "               ").slice(0, 15)));
    if (c.merchantName) d.set(0x9f4e, asciiToBytes(c.merchantName));
    if (c.merchantCategoryCode) d.setNumeric(0x9f15, c.merchantCategoryCode, 2);
    const un = new Uint8Array(4);
    this.cb.random(un);
    d.set(0x9f37, un);
  }

  /** The AID's own terminal data (after final selection). */
  setAidData(aid: AidConfig): void {
    this.aid = aid;
    this.data.set(0x9f09, aid.appVersion);
    this.data.setNumeric(0x9f1b, aid.floorLimit, 4);
  }

  /** Data built from a DOL (EMV Book 3 §5.4) out of the data store. */
  dolData(dol: Uint8Array | undefined): Uint8Array {
    if (!dol || dol.length === 0) return new Uint8Array(0);
    return this.dol.parse(dol).buildBytes((tag) => this.data.get(tag));
  }

  /** Whether a DOL lists `tag`. */
  dolHas(dol: Uint8Array | undefined, tag: number): boolean {
    if (!dol) return false;
    const d = this.dol.parse(dol);
    for (let i = 0; i < d.count; i++) if (d.tagAt(i) === tag) return true;
    return false;
  }

  /** A random number 1..99 from the hardware RNG (random transaction selection). */
  random99(): number {
    const b = new Uint8Array(2);
    this.cb.random(b);
    return (((b[0]! << 8) | b[1]!) % 99) + 1;
  }

  /** PAN digits from 5A (F padding dropped), "" when absent. */
  pan(): string {
    const s = this.data.digits(0x5a);
    const f = s.indexOf("F");
    return f >= 0 ? s.slice(0, f) : s;
  }
}
