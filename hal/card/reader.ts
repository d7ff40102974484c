/**
 * Chip card reader driver over the card native: contact (ISO 7816-3, T=0/T=1) and contactless
 * (ISO 14443-4) slots. The native moves one message per exchange (ATR/ATS, or one R-TPDU); this driver
 * adds presence, activation with retries, timeouts, the T=0 transport rules (EMV Book 1 §9.3 /
 * ISO 7816-3 §12.2: case 4 sent as case 3, 61xx -> GET RESPONSE, 6Cxx -> re-send with Le = xx, a case-4
 * warning -> GET RESPONSE) and typed errors: E_CARD_REMOVED (card pulled out mid-exchange),
 * E_CARD_MUTE (no ATR/ATS), E_CARD_TIMEOUT (no response), E_APDU (malformed response).
 */
import { HalError } from "../errors";
import { parseAtr, parseAts, type Atr, type Ats } from "./atr";
import { apduCase, isWarning, parseResponse, type ApduResponse } from "./apdu";

export type SlotKind = "contact" | "contactless";

export interface CardSlotOptions {
  /** The board's card native (`natives.card`). */
  card: Natives.Board["card"];
  timers: Natives.Timers;
  /** Default time a response may take (ms). */
  responseTimeoutMs?: number;
  /** Called when a card arrives / leaves (after the driver updated its state). */
  onPresent?(): void;
  onRemoved?(): void;
}

export interface ActivationOptions {
  /** Time for the ATR/ATS of one attempt (ms). */
  timeoutMs?: number;
  /** Activation attempts before E_CARD_MUTE (terminals usually try 3 times, spec/devices.md §4.2). */
  attempts?: number;
}

export interface TransmitOptions {
  timeoutMs?: number;
}

/** Largest response the driver assembles from GET RESPONSE chains. */
const MAX_RESPONSE = 4096;
/** Exchanges per transmit (61xx/6Cxx chains) before the card is judged broken. */
const MAX_ROUNDS = 24;

interface Pending {
  resolve(message: Uint8Array): void;
  reject(error: HalError): void;
  timer: number;
}

function asHal(e: unknown): HalError {
  if (e instanceof HalError) return e;
  const o = e as { code?: unknown; message?: unknown } | undefined;
  const code = o && typeof o.code === "string" ? o.code : "E_CARD";
  const msg = o && typeof o.message === "string" ? o.message : String(e);
  return new HalError(code, msg.indexOf(code + ": ") === 0 ? msg.slice(code.length + 2) : msg);
}

/** What both slots share: presence, one message exchange at a time, removal handling. */
abstract class CardSlotBase {
  protected readonly native: Natives.CardSlot;
  protected readonly timers: Natives.Timers;
  protected readonly responseTimeoutMs: number;
  private pending: Pending | undefined;
  private presenceWaiters: Array<(cancelled?: HalError) => void> = [];
  private removalWaiters: Array<() => void> = [];
  /** Card presence as the events told it (not polled: a queued removal must not be overtaken). */
  private cardIn: boolean;
  /** Set between activation and power-off; cleared by removal. */
  protected powered = false;
  /** The card that was activated has left since (transmit reports E_CARD_REMOVED until re-activation). */
  private removedSinceActivation = false;
  private busy = false;
  private closed = false;

  constructor(readonly slot: SlotKind, private readonly options: CardSlotOptions) {
    this.timers = options.timers;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 3000;
    this.native = options.card.open({
      slot,
      onReadable: () => this.drain(),
      onError: (e) => {
        // The native reports a removal mid-exchange before its "removed" event: the card is gone now.
        if (e.code === "E_CARD_REMOVED") this.cardLeft();
        this.fail(new HalError(e.code, e.message));
      },
      onPresent: () => {
        this.cardIn = true;
        this.removedSinceActivation = false;
        const w = this.presenceWaiters;
        this.presenceWaiters = [];
        for (let i = 0; i < w.length; i++) w[i]!();
        this.options.onPresent?.();
      },
      onRemoved: () => {
        // Events come in order, so a removal already learnt from E_CARD_REMOVED is not news: it must
        // not touch an exchange started since (there is none with the old card).
        if (this.cardIn) this.cardLeft();
        const w = this.removalWaiters;
        this.removalWaiters = [];
        for (let i = 0; i < w.length; i++) w[i]!();
        this.options.onRemoved?.();
      },
    });
    this.cardIn = this.native.present;
  }

  private cardLeft(): void {
    this.cardIn = false;
    if (this.powered) this.removedSinceActivation = true;
    this.powered = false;
    this.fail(new HalError("E_CARD_REMOVED", "the card was removed"));
  }

  /** A card is in the slot / field (as of the last presence event). */
  get present(): boolean {
    return !this.closed && this.cardIn;
  }

  /** Resolves when a card is in the slot/field; E_NO_CARD after `timeoutMs`. */
  waitForCard(timeoutMs: number): Promise<void> {
    if (this.present) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (cancelled?: HalError) => {
        this.timers.clear(timer);
        if (cancelled) reject(cancelled);
        else resolve();
      };
      const timer = this.timers.set(() => {
        const i = this.presenceWaiters.indexOf(done);
        if (i >= 0) this.presenceWaiters.splice(i, 1);
        reject(new HalError("E_NO_CARD", `no card within ${timeoutMs} ms`));
      }, timeoutMs);
      this.presenceWaiters.push(done);
    });
  }

  /** Ends every pending waitForCard with E_CARD_WAIT_CANCELLED (the card came in by another way: swipe, tap). */
  cancelWaits(): void {
    const w = this.presenceWaiters;
    this.presenceWaiters = [];
    for (let i = 0; i < w.length; i++) w[i]!(new HalError("E_CARD_WAIT_CANCELLED", "the wait for a card was cancelled"));
  }

  /** Resolves when the card has left ("please remove the card"); E_CARD_NOT_REMOVED after `timeoutMs`. */
  waitForRemoval(timeoutMs: number): Promise<void> {
    if (!this.present) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.timers.clear(timer);
        resolve();
      };
      const timer = this.timers.set(() => {
        const i = this.removalWaiters.indexOf(done);
        if (i >= 0) this.removalWaiters.splice(i, 1);
        reject(new HalError("E_CARD_NOT_REMOVED", `the card is still there after ${timeoutMs} ms`));
      }, timeoutMs);
      this.removalWaiters.push(done);
    });
  }

  /** Deactivates the card (it stays in the slot). */
  powerOff(): void {
    this.powered = false;
    if (!this.closed) this.native.powerOff();
  }

  close(): void {
    if (this.closed) return;
    this.fail(new HalError("E_CARD_CLOSED", "reader closed"));
    this.closed = true;
    this.powered = false;
    this.native.close();
  }

  private drain(): void {
    for (let m = this.native.read(); m !== undefined; m = this.native.read()) {
      const p = this.pending;
      // A message nobody waits for (a late answer after a timeout) is dropped.
      if (!p) continue;
      this.pending = undefined;
      this.timers.clear(p.timer);
      p.resolve(m);
    }
  }

  private fail(e: HalError): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.timers.clear(p.timer);
    p.reject(e);
  }

  /** One message out (activation or a TPDU), one message back. */
  protected exchange(tpdu: Uint8Array | undefined, timeoutMs: number, timeoutCode: string): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new HalError("E_CARD_CLOSED", "reader closed"));
    if (this.pending) return Promise.reject(new HalError("E_CARD_BUSY", "an exchange is already in progress"));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.timers.set(() => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        reject(new HalError(timeoutCode, `no answer from the card within ${timeoutMs} ms`));
      }, timeoutMs);
      const pending: Pending = { resolve, reject, timer };
      this.pending = pending;
      try {
        if (tpdu) this.native.transmit(tpdu);
        else this.native.powerOn();
      } catch (e) {
        this.pending = undefined;
        this.timers.clear(timer);
        reject(asHal(e));
      }
    });
  }

  /** Activation with retries: the first answer that parses wins; E_CARD_MUTE when none comes. */
  protected async activate<T>(parse: (raw: Uint8Array) => T, options: ActivationOptions, what: string): Promise<T> {
    if (!this.present) throw new HalError("E_NO_CARD", "no card in the " + this.slot + " slot");
    const attempts = options.attempts ?? 3;
    const timeoutMs = options.timeoutMs ?? 1000;
    let last: HalError | undefined;
    this.powered = false;
    this.removedSinceActivation = false;
    for (let i = 0; i < attempts; i++) {
      try {
        const raw = await this.exchange(undefined, timeoutMs, "E_CARD_MUTE");
        const parsed = parse(raw);
        this.powered = true;
        return parsed;
      } catch (e) {
        const err = asHal(e);
        // Removal, collision, a closed reader: retrying changes nothing.
        if (err.code === "E_CARD_REMOVED" || err.code === "E_CARD_COLLISION" || err.code === "E_CARD_CLOSED" || err.code === "E_NO_CARD") throw err;
        last = err;
        try {
          this.native.powerOff();
        } catch {
          // the card may be gone already
        }
        if (!this.present) throw new HalError("E_CARD_REMOVED", "the card was removed during activation");
      }
    }
    if (last && last.code !== "E_CARD_MUTE" && last.code !== "E_CARD_TIMEOUT") throw last;
    throw new HalError("E_CARD_MUTE", `no valid ${what} after ${attempts} attempts${last ? " (" + last.message + ")" : ""}`);
  }

  /**
   * Sends a C-APDU and returns the R-APDU, following the transport rules: with `t0` the case-4 Le is
   * withheld and a warning without data is followed by GET RESPONSE; in every protocol 61xx chains
   * GET RESPONSE and 6Cxx re-sends with the right Le.
   */
  protected async transmitApdu(apdu: Uint8Array, t0: boolean, options: TransmitOptions): Promise<ApduResponse> {
    if (this.closed) throw new HalError("E_CARD_CLOSED", "reader closed");
    if (this.busy) throw new HalError("E_CARD_BUSY", "an APDU exchange is already in progress");
    if (!this.powered) {
      if (this.removedSinceActivation) throw new HalError("E_CARD_REMOVED", "the card was removed");
      throw new HalError(this.present ? "E_CARD_NOT_POWERED" : "E_NO_CARD", this.present ? "activate the card first" : "no card");
    }
    const kind = apduCase(apdu);
    const timeoutMs = options.timeoutMs ?? this.responseTimeoutMs;
    this.busy = true;
    try {
      // T=0: a case-4 command goes out as case 3 (ISO 7816-3 §12.2.4); case 1 gets P3 = 00.
      let tpdu: Uint8Array;
      if (t0 && kind === 4) tpdu = apdu.subarray(0, apdu.length - 1);
      else if (t0 && kind === 1) {
        tpdu = new Uint8Array(5);
        tpdu.set(apdu);
      } else tpdu = apdu;
      let acc: Uint8Array | undefined;
      let warning = 0;
      let fetching = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let raw: Uint8Array;
        try {
          raw = await this.exchange(tpdu, timeoutMs, "E_CARD_TIMEOUT");
        } catch (e) {
          // A card that stopped answering is in an unknown state: deactivate it (a late answer must
          // never be taken for the next command's); the app re-activates or asks for the card again.
          if ((e as HalError).code === "E_CARD_TIMEOUT") this.powerOff();
          throw e;
        }
        const r = parseResponse(raw);
        if (r.sw1 === 0x61) {
          // ISO 7816-3 allows 61xx only for cases 2 and 4; some cards also use it after case 3: fetch it anyway.
          acc = append(acc, r.data);
          tpdu = getResponseTpdu(r.sw2);
          fetching = true;
          continue;
        }
        if (r.sw1 === 0x6c) {
          if (!fetching && (kind === 1 || kind === 3)) throw new HalError("E_APDU", `6C${hex(r.sw2)} to a case-${kind} command`);
          // Re-send the same command (or GET RESPONSE) with Le = SW2: Le is the last byte of a case-2 TPDU
          // (P3) and of a case-4 APDU sent whole (T=1, contactless).
          const again = tpdu.slice();
          again[again.length - 1] = r.sw2;
          tpdu = again;
          continue;
        }
        if (t0 && kind === 4 && !fetching && r.data.length === 0 && isWarning(r.sw)) {
          // EMV Book 1 §9.3.1.3: fetch the data, then report it with the warning.
          warning = r.sw;
          tpdu = getResponseTpdu(0);
          fetching = true;
          continue;
        }
        if (warning && r.sw !== 0x9000) {
          // The card had nothing to give after its warning: report the warning alone.
          return { data: acc ?? new Uint8Array(0), sw: warning, sw1: warning >> 8, sw2: warning & 0xff };
        }
        const data = acc ? append(acc, r.data) : r.data.slice();
        const sw = warning || r.sw;
        return { data, sw, sw1: sw >> 8, sw2: sw & 0xff };
      }
      throw new HalError("E_APDU", `no final status word after ${MAX_ROUNDS} exchanges`);
    } finally {
      this.busy = false;
    }
  }
}

function append(acc: Uint8Array | undefined, more: Uint8Array): Uint8Array {
  const n = (acc ? acc.length : 0) + more.length;
  if (n > MAX_RESPONSE) throw new HalError("E_APDU", `response over ${MAX_RESPONSE} bytes`);
  const out = new Uint8Array(n);
  if (acc) out.set(acc);
  out.set(more, n - more.length);
  return out;
}

function getResponseTpdu(le: number): Uint8Array {
  const t = new Uint8Array(5);
  t[1] = 0xc0;
  t[4] = le;
  return t;
}

function hex(b: number): string {
  return (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
}

/** The contact slot: power on -> ATR, then APDUs in the protocol the ATR offers first. */
export class ContactCard extends CardSlotBase {
  private atrValue: Atr | undefined;

  constructor(options: CardSlotOptions) {
    super("contact", options);
  }

  /** The ATR of the powered card. */
  get atr(): Atr | undefined {
    return this.powered ? this.atrValue : undefined;
  }

  /** Cold reset: E_NO_CARD, E_CARD_MUTE (no ATR after the attempts), E_ATR_* (an ATR that never parses). */
  async powerOn(options: ActivationOptions = {}): Promise<Atr> {
    const atr = await this.activate(parseAtr, options, "ATR");
    if (atr.protocol !== 0 && atr.protocol !== 1) {
      this.powerOff();
      throw new HalError("E_ATR_PROTOCOL", `the card offers T=${atr.protocol}; EMV needs T=0 or T=1`);
    }
    this.atrValue = atr;
    return atr;
  }

  transmit(apdu: Uint8Array, options: TransmitOptions = {}): Promise<ApduResponse> {
    return this.transmitApdu(apdu, this.atrValue !== undefined && this.atrValue.protocol === 0, options);
  }
}

/** The contactless field: poll for a card, activate -> ATS, then APDUs (ISO 14443-4). */
export class ContactlessCard extends CardSlotBase {
  private atsValue: Ats | undefined;

  constructor(options: CardSlotOptions) {
    super("contactless", options);
  }

  get ats(): Ats | undefined {
    return this.powered ? this.atsValue : undefined;
  }

  /** Waits up to `pollMs` for a card in the field, then activates it: E_NO_CARD, E_CARD_MUTE, E_CARD_COLLISION. */
  async poll(pollMs: number, options: ActivationOptions = {}): Promise<Ats> {
    await this.waitForCard(pollMs);
    return this.activateCard(options);
  }

  async activateCard(options: ActivationOptions = {}): Promise<Ats> {
    const ats = await this.activate(parseAts, options, "ATS");
    this.atsValue = ats;
    return ats;
  }

  transmit(apdu: Uint8Array, options: TransmitOptions = {}): Promise<ApduResponse> {
    return this.transmitApdu(apdu, false, options);
  }
}
