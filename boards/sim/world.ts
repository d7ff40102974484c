/**
 * The simulator's world for a board: factory-provisioned flash, the virtual devices on the board's
 * ports and natives (printer, card reader, PED, display, keypad, the 4G module with its eUICC, the
 * dial-up modem, the debug port with the agent client, and the loopback test jig), and the engine host.
 *
 * The loopback jig (on by default) makes the firmware run its factory plumbing test and stop; without it
 * (`jig: false`) the terminal application starts.
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
import { Modem4G, type Modem4GOptions } from "./devices/modem4g.ts";
import { Euicc, chinaProfiles } from "./devices/euicc.ts";
import { DialupModemDevice, type DialupDeviceOptions } from "./devices/dialup.ts";
import { AgentClient } from "./script/agent-client.ts";

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
  modem: Modem4G;
  euicc: Euicc;
  dialup: DialupModemDevice;
  /** The agent client on the debug port (images with the agent). */
  agent: AgentClient;
  logs: Array<{ level: number; message: string }>;
}

export function firmwarePath(board: string): string {
  return join(ROOT, "dist", board, "firmware.js");
}

export interface WorldOptions extends Partial<EngineOptions> {
  boardName?: string;
  echoLogs?: boolean;
  printer?: VirtualPrinterOptions;
  /** The loopback test jig (default true: the firmware runs its factory plumbing test only). */
  jig?: boolean;
  modem?: Modem4GOptions;
  dialup?: DialupDeviceOptions;
  /** PED factory transport key (hex). */
  transportKeyHex?: string;
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
  if (board.serial.loopback && options.jig !== false) serial[board.serial.loopback.port] ??= loopback;
  if (board.serial.printer) serial[board.serial.printer.port] ??= printer;
  const modem = new Modem4G({ seed: 5, ...options.modem });
  const euicc = new Euicc({ profiles: chinaProfiles() }).insertInto(modem);
  const dialup = new DialupModemDevice(options.dialup);
  const agent = new AgentClient();
  if (board.serial.modem) serial[board.serial.modem.port] ??= modem;
  if (board.serial.dialup) serial[board.serial.dialup.port] ??= dialup;
  if (board.serial.debug) serial[board.serial.debug.port] ??= agent;
  const cards = new SimCardReader();
  const ped = new SimPed({ transportKeyHex: options.transportKeyHex });
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
  return { board, host, flash, loopback, printer, cards, ped, display, keypad, modem, euicc, dialup, agent, logs };
}
