/**
 * The simulator's card reader: a contact slot, a contactless field and a magstripe head, played by
 * virtual cards (devices/cards/). Installs the host functions boards/sim/prelude.js turns into the
 * `card` and `magstripe` natives:
 *   cardOpen(slot) -> id, cardPresent(id), cardPowerOn(id), cardTransmit(id, buf, off, len), cardRead(id),
 *   cardPowerOff(id), cardClose(id), magstripeOpen() -> id, magstripeClose(id).
 * Events: "present"/"removed" when a card arrives/leaves, "readable" with one message (ATR/ATS or an
 * R-TPDU) after powerOn/transmit, "error" E_CARD_REMOVED when a card leaves in the middle of an
 * exchange, "swipe" with the tracks as JSON.
 *
 * The test drives it at any moment: insert/remove, tap/leaveField, swipe, and `intercept` to make the
 * card vanish, fall mute or answer garbage at a chosen command.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import type { ExtraNatives, HostApi } from "../engine-host.ts";
import { T0Transport, VirtualCard, apduExchange } from "./cards/virtual-card.ts";
import { hex, unhex, type CardImage, type Interface } from "./cards/image.ts";

/** What a test may do to a command before the card sees it. */
export type Interception = "remove" | "mute" | { answer: Uint8Array } | undefined;

export interface ExchangeRecord {
  slot: Interface;
  /** "atr" for activation, else the C-TPDU/C-APDU hex. */
  command: string;
  /** The R-TPDU/R-APDU hex; "" when none came (mute, removed). */
  response: string;
}

interface Slot {
  kind: Interface;
  /** The card(s) in the slot/field: more than one in the field is a collision. */
  cards: VirtualCard[];
  t0: T0Transport | undefined;
  powered: boolean;
  /** Handler id of the open slot, 0 when closed. */
  id: number;
  /** Messages waiting for cardRead. */
  inbox: Uint8Array[];
  /** An exchange was started whose answer has not been read. */
  awaiting: boolean;
}

export class SimCardReader implements ExtraNatives {
  /** Every exchange, for tests. */
  readonly log: ExchangeRecord[] = [];
  /** Called with each command before the card sees it (index counts commands on the slot since power-on). */
  intercept: ((slot: Interface, command: Uint8Array, index: number) => Interception) | undefined;

  private api: HostApi | undefined;
  private readonly slots: Record<Interface, Slot> = {
    contact: { kind: "contact", cards: [], t0: undefined, powered: false, id: 0, inbox: [], awaiting: false },
    contactless: { kind: "contactless", cards: [], t0: undefined, powered: false, id: 0, inbox: [], awaiting: false },
  };
  private commandIndex: Record<Interface, number> = { contact: 0, contactless: 0 };
  private magstripeId = 0;

  // ---- test controls -------------------------------------------------------------------------

  /** Inserts a card into the contact slot (a CardImage makes a fresh VirtualCard). */
  insert(card: VirtualCard | CardImage): VirtualCard {
    const c = card instanceof VirtualCard ? card : new VirtualCard(card);
    const s = this.slots.contact;
    if (s.cards.length) this.remove();
    s.cards = [c];
    s.t0 = new T0Transport(c);
    this.announce(s, "present");
    return c;
  }

  /** Pulls the card out of the contact slot (an exchange in progress ends with E_CARD_REMOVED). */
  remove(): void {
    this.leave(this.slots.contact);
  }

  /** Brings a card into the contactless field (a second card makes a collision). */
  tap(card: VirtualCard | CardImage): VirtualCard {
    const c = card instanceof VirtualCard ? card : new VirtualCard(card);
    const s = this.slots.contactless;
    s.cards.push(c);
    if (s.cards.length === 1) this.announce(s, "present");
    return c;
  }

  /** Takes every card out of the field. */
  leaveField(): void {
    this.leave(this.slots.contactless);
  }

  /** Swipes a card (its tracks); `errors` marks tracks as failing LRC/parity (1, 2, 4). Returns false when the head is off. */
  swipe(card: CardImage | { track1?: string; track2?: string; track3?: string }, errors = 0): boolean {
    const tracks: { track1?: string; track2?: string; track3?: string } = "applications" in card ? (card.tracks ?? {}) : card;
    if (!this.magstripeId || !this.api) return false;
    const ev: Record<string, unknown> = { errors };
    for (const k of ["track1", "track2", "track3"] as const) {
      const t = tracks[k];
      if (t !== undefined) ev[k] = errors & (k === "track1" ? 1 : k === "track2" ? 2 : 4) ? garble(t) : t;
    }
    this.api.post("swipe", this.magstripeId, JSON.stringify(ev));
    return true;
  }

  get contactCard(): VirtualCard | undefined {
    return this.slots.contact.cards[0];
  }
  get fieldCards(): VirtualCard[] {
    return this.slots.contactless.cards.slice();
  }

  // ---- the natives -----------------------------------------------------------------------------

  install(ctx: QuickJSContext, host: QuickJSHandle, api: HostApi): void {
    this.api = api;
    // A reboot closes everything the firmware had open; cards stay where they are, unpowered.
    for (const s of Object.values(this.slots)) {
      s.id = 0;
      s.powered = false;
      s.inbox = [];
      s.awaiting = false;
    }
    this.magstripeId = 0;
    const fn = (name: string, f: (...args: QuickJSHandle[]) => QuickJSHandle | undefined | void) => {
      const h = ctx.newFunction(name, (...args) => f(...args) ?? ctx.undefined);
      ctx.setProp(host, name, h);
      h.dispose();
    };
    const num = (h: QuickJSHandle) => ctx.getNumber(h);
    const slotOf = (idH: QuickJSHandle): Slot => {
      const id = num(idH);
      for (const s of Object.values(this.slots)) if (s.id === id && id !== 0) return s;
      throw new Error("E_CARD_CLOSED: slot not open");
    };

    fn("cardOpen", (slotH) => {
      const kind = ctx.getString(slotH) as Interface;
      const s = this.slots[kind];
      if (!s) throw new Error(`E_OPTIONS: no slot ${kind}`);
      if (s.id) throw new Error(`E_CARD_BUSY: the ${kind} slot is already open`);
      s.id = api.newHandlerId();
      return ctx.newNumber(s.id);
    });
    fn("cardPresent", (idH) => (slotOf(idH).cards.length > 0 ? ctx.true : ctx.false));
    fn("cardPowerOn", (idH) => {
      const s = slotOf(idH);
      if (!s.cards.length) throw new Error("E_NO_CARD: no card in the " + s.kind + " slot");
      s.inbox = [];
      s.powered = false;
      this.commandIndex[s.kind] = 0;
      if (s.kind === "contactless" && s.cards.length > 1) throw new Error("E_CARD_COLLISION: more than one card in the field");
      const card = s.cards[0]!;
      const answer = s.kind === "contact" ? card.image.contact?.atr : card.image.contactless?.ats;
      s.awaiting = true;
      if (answer === undefined) {
        // No chip (or not contactless): nothing answers; the driver's timeout speaks.
        this.log.push({ slot: s.kind, command: "atr", response: "" });
        return;
      }
      card.reset();
      s.t0?.reset();
      s.powered = true;
      this.deliver(s, unhex(answer), "atr");
    });
    fn("cardTransmit", (idH, abH, offH, lenH) => {
      const s = slotOf(idH);
      if (!s.cards.length) throw new Error("E_NO_CARD: no card");
      if (!s.powered) throw new Error("E_CARD_NOT_POWERED: power the card on first");
      const life = ctx.getArrayBuffer(abH);
      let cmd: Uint8Array;
      try {
        const off = num(offH);
        cmd = Uint8Array.from(life.value.subarray(off, off + num(lenH)));
      } finally {
        life.dispose();
      }
      const card = s.cards[0]!;
      const index = this.commandIndex[s.kind]++;
      s.awaiting = true;
      const action = this.intercept?.(s.kind, cmd, index);
      if (action === "remove") {
        this.log.push({ slot: s.kind, command: hex(cmd), response: "" });
        this.leave(s);
        return;
      }
      if (action === "mute") {
        this.log.push({ slot: s.kind, command: hex(cmd), response: "" });
        return;
      }
      if (action && typeof action === "object") {
        this.deliver(s, action.answer, hex(cmd));
        return;
      }
      const protocol = s.kind === "contact" ? card.image.contact!.protocol : 1;
      const r = protocol === 0 ? s.t0!.tpdu(cmd) : apduExchange(card, cmd, s.kind);
      this.deliver(s, r, hex(cmd));
    });
    fn("cardRead", (idH) => {
      const s = slotOf(idH);
      const m = s.inbox.shift();
      if (!m) return undefined;
      if (!s.inbox.length) s.awaiting = false;
      return ctx.newArrayBuffer(m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength) as ArrayBuffer);
    });
    fn("cardPowerOff", (idH) => {
      const s = slotOf(idH);
      s.powered = false;
      s.inbox = [];
      s.awaiting = false;
    });
    fn("cardClose", (idH) => {
      const s = slotOf(idH);
      s.id = 0;
      s.powered = false;
      s.inbox = [];
      s.awaiting = false;
    });
    fn("magstripeOpen", () => {
      if (this.magstripeId) throw new Error("E_MAGSTRIPE_BUSY: already open");
      this.magstripeId = api.newHandlerId();
      return ctx.newNumber(this.magstripeId);
    });
    fn("magstripeClose", (idH) => {
      if (num(idH) === this.magstripeId) this.magstripeId = 0;
    });
  }

  private deliver(s: Slot, message: Uint8Array, command: string): void {
    this.log.push({ slot: s.kind, command, response: hex(message) });
    s.inbox.push(message);
    if (s.id && this.api) this.api.post("readable", s.id, 1);
  }

  private announce(s: Slot, kind: "present" | "removed"): void {
    if (s.id && this.api) this.api.post(kind, s.id);
  }

  private leave(s: Slot): void {
    if (!s.cards.length) return;
    const wasWaiting = s.awaiting && s.inbox.length === 0;
    s.cards = [];
    s.t0 = undefined;
    s.powered = false;
    s.inbox = [];
    s.awaiting = false;
    if (s.id && this.api) {
      if (wasWaiting) this.api.post("error", s.id, "E_CARD_REMOVED", "the card left during an exchange");
      this.api.post("removed", s.id);
    }
  }
}

/** A track that failed its LRC: the head still reports something, garbled. */
function garble(t: string): string {
  return t.slice(0, Math.max(0, t.length >> 1)) + "??";
}
