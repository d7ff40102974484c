/**
 * The app's entry. Every boot runs the plumbing check (serial loopback, timer, boot counter in flash). With a
 * factory test jig on the loopback port (it echoes), the check is the whole job: the first boot reboots to prove
 * the counter survives, the next ones exit with the result (the jig's verdict). Without a jig the terminal
 * application starts: devices, Terminal, pending reversal, auto sign-in, the menu UI (and the test agent on images
 * built with it).
 */
import type { Hal } from "../../hal/index";
import { checkPlumbing } from "./plumbing";
import { errorCode } from "../../hal/errors";
import { TerminalApp } from "./app";
import { MenuUi } from "./menu";
// H7: a new image on trial confirms its boot once the app has started (firmware/update).
import { confirmBoot } from "../update/updater";

export const FIRMWARE_VERSION = __VERSION__;

export interface StartOptions {
  /** Attaches the test agent (HIL/sim images only). */
  agent?: (app: TerminalApp, ui: MenuUi) => void;
}

export async function startApp(hal: Hal, natives?: Natives.Board, options: StartOptions = {}): Promise<void> {
  hal.log.info(`firmware ${FIRMWARE_VERSION} board ${hal.device.name} engine ${hal.system.engine} sn ${hal.system.serialNumber()}`);
  let jig = false;
  try {
    const r = await checkPlumbing(hal);
    hal.log.info(`plumbing boot=${r.bootCount} echo=${r.echo} timer=${r.timerMs}ms`);
    if (r.echo === "mismatch") throw new Error("loopback echo mismatch");
    jig = r.echo === "ok" || !natives;
    if (jig) {
      if (r.bootCount === 1) {
        hal.log.info("first boot: rebooting to check that flash keeps the boot counter");
        hal.system.reset();
      } else {
        hal.system.exit(0);
      }
      return;
    }
  } catch (e) {
    hal.log.error(`plumbing failed ${errorCode(e)}: ${(e as Error).message}`);
    hal.system.exit(1);
    return;
  }
  await runTerminal(hal, natives!, options);
}

export async function runTerminal(hal: Hal, natives: Natives.Board, options: StartOptions = {}): Promise<void> {
  let app: TerminalApp;
  try {
    app = new TerminalApp(hal, natives);
  } catch (e) {
    hal.log.error(`app failed to start ${errorCode(e)}: ${(e as Error).message}`);
    hal.system.exit(1);
    return;
  }
  const ui = new MenuUi(app);
  app.display.show({ title: "银联POS", lines: ["", "正在启动..."], prompt: "请稍候" });
  options.agent?.(app, ui);
  await app.startup();
  // H7: the app is up (devices, terminal, agent): a trial boot of a new image is confirmed; otherwise a no-op.
  try {
    confirmBoot(hal);
  } catch (e) {
    hal.log.error(`update: boot confirmation failed ${errorCode(e)}`);
  }
  await ui.run();
}
