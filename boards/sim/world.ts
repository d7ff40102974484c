/**
 * The simulator's world for a board: factory-provisioned flash, the virtual devices on the board's
 * ports and natives (printer, card reader, PED, display, keypad, loopback), and the engine host.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard, type BoardJson } from "../../build/board.ts";
import { provisionResources } from "../../build/resources.ts";
import { EngineHost, type EngineOptions, type ExtraNatives, type SerialDevice } from "./engine-host.ts";
import { SimFlash } from "./devices/flash.ts";
import { LoopbackSerial } from "./devices/loopback.ts";
import { VirtualPrinter, type VirtualPrinterOptions } from "./devices/printer.ts";
import { SimCardReader } from "./devices/card.ts";
import { SimPed } from "./devices/ped.ts";
import { SimDisplay, SimKeypad } from "./devices/ui.ts";

export interface World {
  board: BoardJson;
  host: EngineHost;
  flash: SimFlash;
  loopback: LoopbackSerial;
  printer: VirtualPrinter;
  cards: SimCardReader;
  ped: SimPed;
  display: SimDisplay;
  keypad: SimKeypad;
  logs: Array<{ level: number; message: string }>;
}

export function firmwarePath(board: string): string {
  return join(ROOT, "dist", board, "firmware.js");
}

export interface WorldOptions extends Partial<EngineOptions> {
  boardName?: string;
  echoLogs?: boolean;
  printer?: VirtualPrinterOptions;
}

/** A new flash as it leaves the factory: erased, with the resources partition (code tables) programmed. */
export function factoryFlash(board: BoardJson): SimFlash {
  const flash = new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  if (board.flash.partitions.resources) provisionResources(flash, board);
  return flash;
}

export function createWorld(options: WorldOptions = {}): World {
  const board = loadBoard(options.boardName ?? "sim");
  const flash = options.flash ?? factoryFlash(board);
  const loopback = new LoopbackSerial();
  const printer = new VirtualPrinter(options.printer);
  const serial: Record<string, SerialDevice> = { ...(options.serial ?? {}) };
  if (board.serial.loopback) serial[board.serial.loopback.port] ??= loopback;
  if (board.serial.printer) serial[board.serial.printer.port] ??= printer;
  const cards = new SimCardReader();
  const ped = new SimPed();
  const display = new SimDisplay(board.display.rows, board.display.columns);
  const keypad = new SimKeypad({ ped });
  const extras: ExtraNatives[] = [cards, ped, display, keypad, ...(options.extras ?? [])];
  const logs: World["logs"] = [];
  const host = new EngineHost({
    bundle: options.bundle ?? readFileSync(firmwarePath(board.name), "utf8"),
    ...options,
    board,
    flash,
    serial,
    extras,
    onLog: (level, message) => {
      logs.push({ level, message });
      if (options.echoLogs) console.log(`  ${["DBG", "INF", "WRN", "ERR"][level] ?? "LOG"} ${message}`);
      options.onLog?.(level, message);
    },
  });
  return { board, host, flash, loopback, printer, cards, ped, display, keypad, logs };
}
