/**
 * The simulated board of the HIL harness with its rig: the sim firmware image (terminal app + test agent) in the
 * embedded engine with every virtual device (world.ts, jig off), and what a HIL bench does to a real board from
 * outside: swipe a card, type a PIN on the PED, insert/tap a chip card, take the paper out and put it back, cut the
 * power (relay) and restore it, and start again from a board fresh from the factory (erased flash, new PED).
 *
 * Used in-process by the `sim` target (test/hil/targets/sim.ts, virtual time, the agent client on the debug port)
 * and behind a pseudo-terminal by boards/sim/hil-board.ts (the `serial` target, real time, the debug port on the pty).
 *
 * A power cut stops the engine between two scripts (a real cut lands anywhere; the store's power-fail safety inside
 * a write is SimFlash.scheduleCut's job, tested elsewhere) and boots the same image on the same flash, PED, printer
 * and modem: only what the flash kept survives in the firmware.
 */
import { loadBoard } from "../../../build/board.ts";
import { createWorld, type World } from "../world.ts";
import { EngineHost, type EngineOptions, type RunResult, type SerialDevice } from "../engine-host.ts";
import * as catalog from "../devices/cards/catalog.ts";
import type { CardImage } from "../devices/cards/image.ts";

export interface HilBoardOptions {
  /** The device on the debug port (default: the world's agent client). */
  debug?: SerialDevice;
  clock?: "virtual" | "real";
  onLog?: (level: number, message: string) => void;
  echoLogs?: boolean;
}

/** What a rig can do to the board; the same commands over the control socket of boards/sim/hil-board.ts. */
export type RigCommand =
  | { cmd: "swipe"; track2: string; track1?: string }
  | { cmd: "pin"; digits: string }
  | { cmd: "pinCancel" }
  | { cmd: "insert"; card: string }
  | { cmd: "tap"; card: string }
  | { cmd: "remove" }
  | { cmd: "paper"; loaded: boolean }
  | { cmd: "powerCut" }
  | { cmd: "factory" }
  | { cmd: "printed" }
  | { cmd: "logs"; last?: number }
  | { cmd: "status" };

export class HilBoard {
  world!: World;
  private engine!: EngineHost;
  /** Settles when the current power-on ends (exit, error, stopped by a cut). */
  done!: Promise<RunResult>;
  powerOns = 0;
  readonly logs: string[] = [];

  constructor(private readonly o: HilBoardOptions = {}) {
    this.factory();
  }

  /** A board fresh from the factory: new flash, PED, printer, modem; powered on. */
  private factory(): void {
    const serial: Record<string, SerialDevice> = {};
    if (this.o.debug) serial[loadBoard("sim").serial.debug!.port] = this.o.debug;
    const world = createWorld({
      jig: false,
      clock: this.o.clock ?? "virtual",
      echoLogs: this.o.echoLogs,
      onLog: (l, m) => {
        this.logs.push(`${["DBG", "INF", "WRN", "ERR"][l] ?? "LOG"} ${m}`);
        if (this.logs.length > 400) this.logs.splice(0, 100);
        this.o.onLog?.(l, m);
      },
      // In real time (behind the pty) the 4G module comes up quickly, as the port tests' does.
      modem: this.o.clock === "real" ? { rssi: 24, seed: 5, bootMs: 300, simInitMs: 100, registrationMs: 300, pdpActivateMs: 100 } : { rssi: 24 },
      serial,
      // Diagnosis only (never set in CI): HIL_HEAP_BYTES overrides the board's heap budget, to tell a budget overrun
      // from a functional failure.
      ...(process.env.HIL_HEAP_BYTES ? { heapBytes: Number(process.env.HIL_HEAP_BYTES) } : {}),
    });
    this.world = world;
    this.engine = world.host;
    this.powerOn();
  }

  /** How the current power-on ended by itself (out-of-memory, error, exit), if it did; a cut or reflash clears it. */
  ended: string | undefined;

  private powerOn(): void {
    this.powerOns++;
    this.ended = undefined;
    const done = this.engine.run();
    this.done = done;
    void done.then((r) => {
      if (this.done === done && r.status !== "stopped") this.ended = `engine ${r.status}${r.error ? `: ${r.error}` : ""}`;
    });
  }

  /** Stops the engine where it is (between scripts). */
  private async powerOff(): Promise<RunResult> {
    this.engine.stop();
    return this.done;
  }

  /** The relay opens and closes: the same image boots again on what the flash kept. */
  async powerCut(): Promise<void> {
    await this.powerOff();
    // EngineHost keeps its options private; a new one with the same options is the same board powered on again.
    const opts = (this.engine as unknown as { opts: EngineOptions }).opts;
    this.engine = new EngineHost(opts);
    this.powerOn();
  }

  async reflash(): Promise<void> {
    await this.powerOff();
    this.factory();
  }

  async stop(): Promise<RunResult> {
    return this.powerOff();
  }

  /** One rig command; answers what the command reports. */
  async command(c: RigCommand): Promise<unknown> {
    const w = this.world;
    switch (c.cmd) {
      case "swipe":
        return w.cards.swipe({ track1: c.track1, track2: c.track2 });
      case "pin":
        w.ped.type(c.digits);
        return null;
      case "pinCancel":
        w.ped.press("cancel");
        return null;
      case "insert":
      case "tap": {
        const image = (catalog as unknown as Record<string, CardImage | undefined>)[c.card];
        if (!image || typeof image !== "object" || !("applications" in image)) throw Object.assign(new Error(`E_RIG_CARD: no catalog card ${c.card}`), { code: "E_RIG_CARD" });
        if (c.cmd === "insert") w.cards.insert(image);
        else w.cards.tap(image);
        return null;
      }
      case "remove":
        w.cards.remove();
        w.cards.leaveField();
        return null;
      case "paper":
        // Out: the roll ends at the next print operation; in: a new roll, held lines print.
        w.printer.refill(c.loaded ? Infinity : 0);
        return null;
      case "powerCut":
        await this.powerCut();
        return { powerOns: this.powerOns };
      case "factory":
        await this.reflash();
        return { powerOns: this.powerOns };
      case "printed":
        return w.printer.text();
      case "logs":
        return this.logs.slice(-(c.last ?? 60));
      case "status":
        return { powerOns: this.powerOns, board: w.board.name, ended: this.ended ?? null };
      default:
        throw Object.assign(new Error(`E_RIG_COMMAND: unknown rig command ${JSON.stringify(c)}`), { code: "E_RIG_COMMAND" });
    }
  }
}
