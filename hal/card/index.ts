/** Card reader HAL: chip (contact, contactless) over the card native, magstripe over the magstripe native. */
export { ContactCard, ContactlessCard, type CardSlotOptions, type ActivationOptions, type TransmitOptions, type SlotKind } from "./reader";
export { parseAtr, parseAts, type Atr, type Ats } from "./atr";
export { buildApdu, apduCase, parseResponse, describeSw, swHex, isWarning, SW_OK, type ApduResponse } from "./apdu";
export * as commands from "./commands";
export { MagstripeReader, parseSwipe, parseTrack1, type SwipedCard } from "./magstripe";
