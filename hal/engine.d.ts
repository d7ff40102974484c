/*
 * Engine typings ("jerryscript-ts typings").
 *
 * The engine is JerryScript 3.0 (es.next profile). Its language and builtins are TypeScript's own `es2021`
 * lib components (tsconfig.engine.json picks exactly those, no DOM, no @types/node), so `setTimeout`,
 * `console`, `TextEncoder`, `fetch`, `queueMicrotask` and Node modules do not type-check. What the es2021
 * lib declares but the engine lacks (`Intl`, `Error` cause, `BigInt` in snapshots, ES2022+ syntax) is
 * refused by the build's engine-compat check over the emitted bundle (build/engine-compat.ts).
 *
 * This file adds what the engine has that the lib does not describe: the board's natives, shaped like
 * ECMA-419 (Ecma TC53): one options object validated before hardware is touched, non-blocking `read()`
 * (undefined when empty) and `write()` (all or throw), callbacks `onReadable(count)`, `onWritable(count)`,
 * `onError(error)` that run only between scripts, never inside a method, and an idempotent `close()`.
 * The natives reach the bundle as ONE frozen global, `__natives`, read only in hal/native.ts.
 */

declare namespace Natives {
  type Bytes = Uint8Array;

  /** Errors a native reports, by code (E_SERIAL_OVERRUN, E_FLASH_RANGE, E_CARD_REMOVED, ...). */
  interface NativeError {
    readonly code: string;
    readonly message: string;
  }

  interface IoCallbacks {
    /** `count` bytes (or one message) can be read now. */
    onReadable?(count: number): void;
    /** `count` bytes of output space are free again. */
    onWritable?(count: number): void;
    onError?(error: NativeError): void;
  }

  // ---- serial ports (modem, printer, debug UART) --------------------------------------------------
  interface SerialOptions extends IoCallbacks {
    /** Named port from board.json (`device.serial.modem.port`). */
    port: string;
    baud: number;
    dataBits?: 7 | 8;
    parity?: "none" | "even" | "odd";
    stopBits?: 1 | 2;
    flowControl?: "none" | "rtscts";
  }
  interface Serial {
    /** Up to `max` bytes from the native receive ring, or undefined when it is empty. */
    read(max?: number): Bytes | undefined;
    /** Queues all of `data` or throws E_SERIAL_FULL; never a partial write. */
    write(data: Bytes): void;
    /** Free bytes in the transmit buffer. */
    readonly writable: number;
    /** Modem control lines where the port has them. */
    set(lines: { dtr?: boolean; rts?: boolean; break?: boolean }): void;
    close(): void;
  }

  // ---- timers and clock ---------------------------------------------------------------------------
  interface Timers {
    /** One-shot timer; returns an id. The callback runs between scripts. */
    set(callback: () => void, ms: number): number;
    /** Repeating timer. */
    repeat(callback: () => void, ms: number): number;
    /** Clearing an unknown or fired id is a no-op. */
    clear(id: number): void;
  }
  interface Clock {
    /** Milliseconds since boot, monotonic. */
    monotonic(): number;
    /** Wall clock: milliseconds since 1970-01-01 UTC (RTC), 0 when the RTC has never been set. */
    now(): number;
    /** Sets the RTC (from the host's fields 12/13, or the operator). */
    set(epochMs: number): void;
  }

  // ---- flash: raw sectors with erase-before-write semantics ----------------------------------------
  interface Flash {
    readonly sectorSize: number;
    readonly sectorCount: number;
    /** Reads `length` bytes at `offset` (into `into` when given, which is returned). */
    read(offset: number, length: number, into?: Bytes): Bytes;
    /** Programs bytes: each bit can only go 1 -> 0 (AND with what is there); erase resets to 0xFF. */
    program(offset: number, data: Bytes): void;
    erase(sector: number): void;
  }

  // ---- chip and contactless APDU transport -------------------------------------------------------
  interface CardSlotOptions extends IoCallbacks {
    slot: "contact" | "contactless";
    /** A card was inserted / a card entered the field. */
    onPresent?(): void;
    /** The card left: any exchange in progress ends with onError E_CARD_REMOVED. */
    onRemoved?(): void;
  }
  interface CardSlot {
    readonly present: boolean;
    /** Powers the card (contact) or activates it (contactless); the ATR/ATS arrives as one message. */
    powerOn(): void;
    /** Sends one TPDU/APDU; the response arrives as one message through onReadable. */
    transmit(apdu: Bytes): void;
    /** The next complete response message, or undefined. */
    read(): Bytes | undefined;
    powerOff(): void;
    close(): void;
  }

  // ---- magstripe ---------------------------------------------------------------------------------
  interface SwipeEvent {
    /** Track data as ASCII without sentinels; undefined when the track was not read. */
    track1?: string;
    track2?: string;
    track3?: string;
    /** Bit mask of tracks that failed their LRC/parity: 1, 2, 4. */
    errors: number;
  }
  interface MagstripeOptions {
    onSwipe(event: SwipeEvent): void;
    onError?(error: NativeError): void;
  }
  interface Magstripe {
    close(): void;
  }

  // ---- secure PIN entry device: keys never leave it --------------------------------------------
  type KeyAlgorithm = "des" | "3des" | "sm4" | "aes";
  type MacAlgorithm = "cup-ecb" | "x9.9" | "x9.19" | "sm4-ecb" | "aes-cmac";
  interface PedLoadKey {
    slot: number;
    /** "dek": a data-encryption key for data at rest (the PAN vault, firmware/txn/pan-vault.ts): like a TDK for
     * `encrypt`, but kept by erase-all (sign-out / key reset), as TMKs are. */
    usage: "tmk" | "pik" | "mak" | "tdk" | "dek";
    algorithm: KeyAlgorithm;
    /** The slot whose key encrypts `cipher`; -1 = the factory transport key. */
    underSlot: number;
    cipher: Bytes;
    /** Expected check value (first 4 bytes of E(0)); the key is refused when it differs. */
    kcv?: Bytes;
  }
  interface PinEntryOptions {
    slot: number;
    /** PAN for the ISO 9564 format-0 block (digits, check digit included). */
    pan: string;
    minLength: number;
    maxLength: number;
    timeoutMs: number;
    allowBypass: boolean;
    /** Number of digits entered so far, for the masked display; digits themselves never leave the PED. */
    onKey?(count: number): void;
    onDone(result: { status: "ok" | "bypass" | "cancel" | "timeout"; pinBlock?: Bytes }): void;
  }
  interface Ped {
    /** Installs a key after decrypting it inside the PED; returns its 4-byte KCV. */
    loadKey(options: PedLoadKey): Bytes;
    hasKey(slot: number): boolean;
    kcv(slot: number): Bytes;
    /** Erases one slot, or every working key (PIK, MAK, TDK: TMKs and DEKs stay) when `slot` is undefined. */
    erase(slot?: number): void;
    mac(options: { slot: number; algorithm: MacAlgorithm; data: Bytes }): Bytes;
    encrypt(options: { slot: number; mode: "ecb" | "cbc"; data: Bytes; iv?: Bytes }): Bytes;
    pinEntry(options: PinEntryOptions): void;
    cancelPinEntry(): void;
  }

  // ---- display and keypad ------------------------------------------------------------------------
  interface Display {
    readonly rows: number;
    readonly columns: number;
    clear(): void;
    /** Writes a line; CJK characters take two columns. */
    text(row: number, text: string, options?: { align?: "left" | "center" | "right"; inverse?: boolean; large?: boolean }): void;
    /** Pushes the frame to the panel. */
    flush(): void;
  }
  type KeyCode =
    | "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9"
    | "enter" | "cancel" | "clear" | "menu" | "up" | "down" | "f1" | "f2" | "power";
  interface KeypadOptions {
    onKey(key: KeyCode): void;
  }
  interface Keypad {
    close(): void;
  }

  // ---- system ------------------------------------------------------------------------------------
  interface System {
    readonly engine: string;
    serialNumber(): string;
    /** Fills `into` from the hardware RNG. */
    random(into: Bytes): void;
    /** Reboots the terminal: the script ends, RAM is lost, flash is kept. */
    reset(): void;
    battery(): { percent: number; charging: boolean } | undefined;
    /** 0 debug, 1 info, 2 warn, 3 error. */
    log(level: 0 | 1 | 2 | 3, message: string): void;
    /** Ends the engine with an exit status (simulator and test images; a board powers off). */
    exit(status: number): void;
  }

  interface Board {
    readonly serial: { open(options: SerialOptions): Serial };
    readonly timers: Timers;
    readonly clock: Clock;
    readonly flash: Flash;
    readonly card: { open(options: CardSlotOptions): CardSlot };
    readonly magstripe: { open(options: MagstripeOptions): Magstripe };
    readonly ped: Ped;
    readonly display: Display;
    readonly keypad: { open(options: KeypadOptions): Keypad };
    readonly system: System;
  }
}

/** The board's natives: read only in hal/native.ts. */
declare const __natives: Natives.Board;

/** The board's board.json, inlined by the build: read only in hal/device.ts. */
declare const __BOARD__: unknown;

/** The firmware version (package.json), inlined by the build. */
declare const __VERSION__: string;
