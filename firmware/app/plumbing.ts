/**
 * Boot-time plumbing check: proves the natives a terminal cannot work without before the app starts.
 * Serial loopback echo, a timer, and a boot counter that survives a reboot in flash.
 */
import type { Hal } from "../../hal/index";

const MAGIC = 0x42430001; // "BC" v1

export interface PlumbingReport {
  bootCount: number;
  echo: "ok" | "mismatch" | "no-port";
  timerMs: number;
}

/** The boot counter lives in the last flash sector (the system partition) as [magic, count, ~count], LE u32s. */
export function readBootCount(flash: Natives.Flash): number {
  const at = (flash.sectorCount - 1) * flash.sectorSize;
  const b = flash.read(at, 12);
  const v = new DataView(b.buffer, b.byteOffset, 12);
  if (v.getUint32(0, true) !== MAGIC) return 0;
  const n = v.getUint32(4, true);
  return ((n ^ v.getUint32(8, true)) >>> 0) === 0xffffffff ? n : 0;
}

export function writeBootCount(flash: Natives.Flash, n: number): void {
  const sector = flash.sectorCount - 1;
  const rec = new Uint8Array(12);
  const v = new DataView(rec.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, n, true);
  v.setUint32(8, ~n >>> 0, true);
  flash.erase(sector);
  flash.program(sector * flash.sectorSize, rec);
}

export async function checkPlumbing(hal: Hal, loopbackRole = "loopback"): Promise<PlumbingReport> {
  const bootCount = readBootCount(hal.flash) + 1;
  writeBootCount(hal.flash, bootCount);

  let echo: PlumbingReport["echo"] = "no-port";
  if (hal.device.serial[loopbackRole]) {
    let port: ReturnType<Hal["openSerial"]>;
    try {
      port = hal.openSerial(loopbackRole);
    } catch (e) {
      // No device on the port (no test jig plugged in): nothing to echo.
      if (!/^E_SERIAL_PORT/.test(String((e as Error).message)) && (e as { code?: string }).code !== "E_SERIAL_PORT") throw e;
      port = undefined as never;
    }
    if (port) {
    try {
      const ping = new Uint8Array([0x50, 0x49, 0x4e, 0x47, bootCount & 0xff]); // "PING" + n
      port.write(ping);
      const got: number[] = [];
      while (got.length < ping.length) {
        const chunk = await hal.time.within(1000, port.read(), "loopback echo");
        for (let i = 0; i < chunk.length; i++) got.push(chunk[i]!);
      }
      echo = got.every((b, i) => b === ping[i]) ? "ok" : "mismatch";
    } finally {
      port.close();
    }
    }
  }

  const t0 = hal.time.monotonic();
  await hal.time.sleep(250);
  return { bootCount, echo, timerMs: hal.time.monotonic() - t0 };
}
