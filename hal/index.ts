/** The HAL the app sees: built once from a board's natives and its description. */
import type { Device } from "./device";
import { createLog, type Log } from "./log";
import { createTime, type TimeService } from "./time";
import { SerialStream } from "./serial";
import { HalError } from "./errors";

export interface Hal {
  device: Device;
  log: Log;
  time: TimeService;
  flash: Natives.Flash;
  system: Natives.System;
  /** Opens the serial port that board.json names for `role` (modem, printer, ...). */
  openSerial(role: string): SerialStream;
}

export function createHal(natives: Natives.Board, device: Device): Hal {
  return {
    device,
    log: createLog(natives.system),
    time: createTime(natives.timers, natives.clock),
    flash: natives.flash,
    system: natives.system,
    openSerial(role: string): SerialStream {
      const info = device.serial[role];
      if (!info) throw new HalError("E_NO_SUCH_PORT", `board ${device.name} has no serial port for ${role}`);
      return new SerialStream(natives.serial, info);
    },
  };
}
