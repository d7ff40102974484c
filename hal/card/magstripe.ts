/**
 * Magnetic stripe reader driver over the magstripe native: each swipe becomes a parsed card (PAN,
 * expiry, service code, name) with the chip-first flag (service code 2xx/6xx: "chip where feasible",
 * spec/devices.md §4.1). Track 2 is authoritative (firmware/core/track2.ts); track 1 (format B) gives the
 * cardholder name and stands in when track 2 failed. Errors: E_SWIPE_READ (no usable track, swipe again),
 * E_SWIPE_TIMEOUT, and the core's E_TRACK2_* for a track 2 that reads but is malformed.
 */
import { HalError } from "../errors";
import { parseTrack2 } from "../../firmware/core/track2";
import { luhnValid } from "../../firmware/core/luhn";

export interface SwipedCard {
  pan: string;
  /** YYMM. */
  expiry: string;
  serviceCode: string;
  discretionary: string;
  /** Service code starts with 2 or 6: the card has a chip; a chip-capable terminal must ask for it. */
  chipCapable: boolean;
  panLuhnValid: boolean;
  /** Cardholder name from track 1 ("SURNAME/GIVEN"), trimmed; undefined without track 1. */
  name?: string;
  /** Raw tracks as read (for field 35/36 of a fallback transaction). */
  track1?: string;
  track2?: string;
  track3?: string;
  /** Which track the data came from. */
  source: "track2" | "track1";
}

/** Track 1 format B (ISO/IEC 7813): "B" PAN "^" NAME "^" YYMM SVC discretionary (sentinels removed). */
export function parseTrack1(t: string): { pan: string; name: string; expiry: string; serviceCode: string; discretionary: string } {
  if (t.charAt(0) === "%") t = t.slice(1);
  if (t.charAt(t.length - 1) === "?") t = t.slice(0, -1);
  if (t.charAt(0) !== "B") throw new HalError("E_TRACK1_FORMAT", "track 1 is not format B");
  const a = t.indexOf("^");
  const b = a < 0 ? -1 : t.indexOf("^", a + 1);
  if (a < 0 || b < 0) throw new HalError("E_TRACK1_FORMAT", "track 1 needs two '^' separators");
  const pan = t.slice(1, a);
  if (!/^[0-9]{12,19}$/.test(pan)) throw new HalError("E_TRACK1_FORMAT", "track 1 PAN is not 12..19 digits");
  const name = t.slice(a + 1, b);
  if (name.length > 26) throw new HalError("E_TRACK1_FORMAT", "track 1 name over 26 characters");
  const rest = t.slice(b + 1);
  // A missing field is written as the separator itself; expiry and service code are then absent.
  const expiry = rest.slice(0, 4);
  const serviceCode = rest.slice(4, 7);
  if (!/^[0-9]{4}$/.test(expiry) || !/^[0-9]{3}$/.test(serviceCode)) throw new HalError("E_TRACK1_FORMAT", "track 1 expiry/service code missing");
  return { pan, name, expiry, serviceCode, discretionary: rest.slice(7) };
}

function isChipCapable(serviceCode: string): boolean {
  const d = serviceCode.charAt(0);
  return d === "2" || d === "6";
}

/** Turns a swipe event into a card, or throws E_SWIPE_READ. */
export function parseSwipe(ev: Natives.SwipeEvent): SwipedCard {
  const t2ok = ev.track2 !== undefined && (ev.errors & 2) === 0;
  const t1ok = ev.track1 !== undefined && (ev.errors & 1) === 0;
  let name: string | undefined;
  let t1: ReturnType<typeof parseTrack1> | undefined;
  if (t1ok) {
    try {
      t1 = parseTrack1(ev.track1!);
      name = t1.name.replace(/ +$/, "");
    } catch {
      t1 = undefined;
    }
  }
  const raw = { track1: t1ok ? ev.track1 : undefined, track2: t2ok ? ev.track2 : undefined, track3: ev.track3 !== undefined && (ev.errors & 4) === 0 ? ev.track3 : undefined };
  if (t2ok) {
    const t = parseTrack2(ev.track2!);
    return { pan: t.pan, expiry: t.expiry, serviceCode: t.serviceCode, discretionary: t.discretionary, chipCapable: isChipCapable(t.serviceCode), panLuhnValid: t.panLuhnValid, name, ...raw, source: "track2" };
  }
  if (t1) {
    return { pan: t1.pan, expiry: t1.expiry, serviceCode: t1.serviceCode, discretionary: t1.discretionary, chipCapable: isChipCapable(t1.serviceCode), panLuhnValid: luhnValid(t1.pan), name, ...raw, source: "track1" };
  }
  throw new HalError("E_SWIPE_READ", "no readable track: swipe again");
}

export class MagstripeReader {
  private readonly native: Natives.Magstripe;
  private listeners: Array<(card: SwipedCard | undefined, error: HalError | undefined) => void> = [];
  private waiter: ((card: SwipedCard | undefined, error: HalError | undefined) => void) | undefined;
  private closed = false;

  constructor(magstripe: Natives.Board["magstripe"], private readonly timers: Natives.Timers) {
    this.native = magstripe.open({
      onSwipe: (ev) => this.onSwipe(ev),
      onError: (e) => this.emit(undefined, new HalError(e.code, e.message)),
    });
  }

  private onSwipe(ev: Natives.SwipeEvent): void {
    let card: SwipedCard | undefined;
    let error: HalError | undefined;
    try {
      card = parseSwipe(ev);
    } catch (e) {
      const o = e as { code?: string; message?: string };
      error = e instanceof HalError ? e : new HalError(o.code ?? "E_SWIPE_READ", o.message ?? String(e));
    }
    this.emit(card, error);
  }

  private emit(card: SwipedCard | undefined, error: HalError | undefined): void {
    const ls = this.listeners.slice();
    for (let i = 0; i < ls.length; i++) ls[i]!(card, error);
    const w = this.waiter;
    this.waiter = undefined;
    w?.(card, error);
  }

  /** Every swipe from now on (a card, or the error of a bad swipe); returns the unsubscribe. */
  subscribe(listener: (card: SwipedCard | undefined, error: HalError | undefined) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The next swipe: its card, or its error (E_SWIPE_READ ...); E_SWIPE_TIMEOUT when none comes. */
  nextSwipe(timeoutMs: number): Promise<SwipedCard> {
    if (this.closed) return Promise.reject(new HalError("E_MAGSTRIPE_CLOSED", "reader closed"));
    if (this.waiter) return Promise.reject(new HalError("E_MAGSTRIPE_BUSY", "someone is already waiting for a swipe"));
    return new Promise<SwipedCard>((resolve, reject) => {
      const timer = this.timers.set(() => {
        if (this.waiter !== got) return;
        this.waiter = undefined;
        reject(new HalError("E_SWIPE_TIMEOUT", `no swipe within ${timeoutMs} ms`));
      }, timeoutMs);
      const got = (card: SwipedCard | undefined, error: HalError | undefined) => {
        this.timers.clear(timer);
        if (card) resolve(card);
        else reject(error ?? new HalError("E_SWIPE_READ", "bad swipe"));
      };
      this.waiter = got;
    });
  }

  /** Ends a pending nextSwipe with E_SWIPE_CANCELLED (the card came in by another way: insert, tap). */
  cancelWait(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined, new HalError("E_SWIPE_CANCELLED", "the wait for a swipe was cancelled"));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}
