/** The ESC/POS receipt printer driver: Printer, its line types, the GB code table in flash. */
export { Printer, type PrintLine, type TextLine, type QrLine, type FeedLine, type CutLine, type PrinterOptions, type PrinterStatus, type Align, type QrEcc } from "./printer";
export { GbCodeTable, codeTableOffset, encodeGb, textColumns, crc16, type UnknownChar } from "./gb18030";
export { decodeStatus, statusError } from "./commands";
