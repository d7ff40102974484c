/** Display and keypad HAL. */
export { Display, type Screen, type LineOptions, type Align } from "./display";
export { Keypad, isDigitKey, TYPEAHEAD, type KeyCode } from "./keypad";
export { enterAmount, formatAmount, type AmountEntryOptions } from "./amount";
export { charWidth, textWidth, fitText, padText, spreadText, wrapText } from "./text";
