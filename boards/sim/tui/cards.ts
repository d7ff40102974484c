/**
 * The test cards a person can use in the interactive simulator: the host's cardholder accounts (boards/sim/host/
 * factory.ts TEST_CARDS: stripe tracks and online PINs, some with a chip image in the catalog) and the EMV test
 * cards of boards/sim/devices/cards/catalog.ts (chip/contactless images). Each entry says what it can do: swipe
 * (tracks), insert (contact chip), tap (contactless).
 */
import { ALL_CARDS, EMV_TEST_CARDS } from "../devices/cards/catalog.ts";
import type { CardImage } from "../devices/cards/image.ts";
import { TEST_CARDS } from "../host/factory.ts";

export interface TuiCard {
  /** Short name (the factory's or the catalog's). */
  name: string;
  pan: string;
  /** The PIN the person types on the PED (online PIN at the host, or the chip's offline PIN). */
  pin?: string;
  tracks?: { track1?: string; track2?: string; track3?: string };
  /** The chip/contactless image, when the card has one. */
  image?: CardImage;
  /** One line about the card (status at the issuer, balance). */
  note: string;
}

function panOf(image: CardImage): string {
  const t2 = image.tracks?.track2;
  return t2 ? t2.split("=")[0]! : "";
}

export function cardCatalog(): TuiCard[] {
  const out: TuiCard[] = [];
  const seen = new Set<string>();
  for (const c of Object.values(TEST_CARDS)) {
    const image = "catalog" in c && c.catalog ? ALL_CARDS[c.catalog] : undefined;
    const status = c.status === "ok" ? `${(c.balance / 100).toFixed(2)} 元` : c.status;
    out.push({ name: c.name, pan: c.pan, pin: c.pin, tracks: image?.tracks ?? { track2: c.track2 }, image, note: status + ("foreign" in c && c.foreign ? " 外卡" : "") });
    seen.add(c.pan);
  }
  for (const [name, image] of Object.entries(EMV_TEST_CARDS)) {
    const pan = panOf(image);
    if (seen.has(pan)) continue;
    out.push({ name, pan, pin: image.pin, tracks: image.tracks, image, note: image.name });
  }
  return out;
}

/** What a card offers: S swipe, I insert (contact chip), T tap (contactless). */
export function interfacesOf(c: TuiCard): string {
  return (c.tracks?.track2 ? "S" : "-") + (c.image?.contact ? "I" : "-") + (c.image?.contactless ? "T" : "-");
}

/** The PAN as a slip shows it: first 6, last 4. */
export function maskPan(pan: string): string {
  return pan.length > 10 ? pan.slice(0, 6) + "*".repeat(pan.length - 10) + pan.slice(-4) : pan;
}
