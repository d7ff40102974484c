/** The simulator's world for a board: flash, virtual devices on the board's ports, the engine host. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard, type BoardJson } from "../../build/board.ts";
import { EngineHost, type EngineOptions, type SerialDevice } from "./engine-host.ts";
import { SimFlash } from "./devices/flash.ts";
import { LoopbackSerial } from "./devices/loopback.ts";

export interface World {
  board: BoardJson;
  host: EngineHost;
  flash: SimFlash;
  loopback: LoopbackSerial;
  logs: Array<{ level: number; message: string }>;
}

export function firmwarePath(board: string): string {
  return join(ROOT, "dist", board, "firmware.js");
}

export function createWorld(options: Partial<EngineOptions> & { boardName?: string; echoLogs?: boolean } = {}): World {
  const board = loadBoard(options.boardName ?? "sim");
  const flash = options.flash ?? new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  const loopback = new LoopbackSerial();
  const serial: Record<string, SerialDevice> = { ...(options.serial ?? {}) };
  if (board.serial.loopback) serial[board.serial.loopback.port] ??= loopback;
  const logs: World["logs"] = [];
  const host = new EngineHost({
    bundle: options.bundle ?? readFileSync(firmwarePath(board.name), "utf8"),
    ...options,
    board,
    flash,
    serial,
    onLog: (level, message) => {
      logs.push({ level, message });
      if (options.echoLogs) console.log(`  ${["DBG", "INF", "WRN", "ERR"][level] ?? "LOG"} ${message}`);
      options.onLog?.(level, message);
    },
  });
  return { board, host, flash, loopback, logs };
}
