/** The app's entry: banner, plumbing check, then (for now) a reboot to prove flash survives it. */
import type { Hal } from "../../hal/index";
import { checkPlumbing } from "./plumbing";
import { errorCode } from "../../hal/errors";

export const FIRMWARE_VERSION = __VERSION__;

export async function startApp(hal: Hal): Promise<void> {
  hal.log.info(`firmware ${FIRMWARE_VERSION} board ${hal.device.name} engine ${hal.system.engine} sn ${hal.system.serialNumber()}`);
  try {
    const r = await checkPlumbing(hal);
    hal.log.info(`plumbing boot=${r.bootCount} echo=${r.echo} timer=${r.timerMs}ms`);
    if (r.echo === "mismatch") throw new Error("loopback echo mismatch");
    if (r.bootCount === 1) {
      hal.log.info("first boot: rebooting to check that flash keeps the boot counter");
      hal.system.reset();
    } else {
      hal.system.exit(0);
    }
  } catch (e) {
    hal.log.error(`plumbing failed ${errorCode(e)}: ${(e as Error).message}`);
    hal.system.exit(1);
  }
}
