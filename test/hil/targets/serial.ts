/**
 * The `serial` target: a board on a serial port, reached only through its test agent's CBOR frames on the debug
 * UART (serialport), real time. Two ways to get one:
 *
 *  - `startSerialTarget({ port: "/dev/ttyUSB0" })`: a real board (its HIL image) on that port; with `rig` the path
 *    of a bench's control socket (the JSON-lines protocol of boards/sim/hil-board.ts), else no rig: scenarios
 *    needing one are skipped.
 *  - `startSerialTarget()`: no board attached, so the simulator plays one behind a pseudo-terminal
 *    (boards/sim/hil-board.ts, its own process): the same frames over a real tty, the rig on its control socket.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../../build/board.ts";
import type { RigCommand } from "../../../boards/sim/hil/board.ts";
import { SerialAgent } from "../serial-agent.ts";
import { unlessStopped, type HilTarget, type Rig, type Timing } from "../target.ts";

export const SERIAL_TIMING: Timing = {
  // Real ms on both sides: the shortest response timeout the terminal accepts (5 s) keeps the timeout scenario quick.
  responseTimeoutMs: 5000,
  hostDelayPastTimeoutMs: 8000,
  stepMs: 60000,
};

/** The bench's control channel: one JSON line per command, answers matched by id. */
class RigClient {
  private nextId = 1;
  private buf = "";
  private readonly pending = new Map<number, { resolve(v: any): void; reject(e: any): void }>();
  private constructor(private readonly sock: Socket) {
    sock.on("data", (d) => {
      this.buf += d.toString("utf8");
      let nl: number;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let m: any;
        try {
          m = JSON.parse(line);
        } catch {
          continue;
        }
        const p = this.pending.get(m.id);
        if (!p) continue;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(Object.assign(new Error(`${m.error?.code}: ${m.error?.message}`), m.error));
      }
    });
    sock.on("error", () => undefined);
    sock.on("close", () => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(Object.assign(new Error("E_RIG_GONE: the rig's control channel closed"), { code: "E_RIG_GONE" }));
      }
    });
  }
  static open(path: string): Promise<RigClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RigClient(s)));
      s.once("error", (e) => reject(new Error(`E_RIG_CONNECT: ${path}: ${e.message}`)));
    });
  }
  command<T = unknown>(c: RigCommand): Promise<T> {
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.sock.write(JSON.stringify({ id, ...c }) + "\n");
    return p;
  }
  close(): void {
    this.sock.destroy();
  }
}

function rigOver(client: RigClient, agent: SerialAgent): Rig {
  const cmd = async (c: RigCommand) => void (await client.command(c));
  return {
    swipe: (c) => client.command<boolean>({ cmd: "swipe", track2: c.track2 }),
    pin: (d) => cmd(d === "cancel" ? { cmd: "pinCancel" } : { cmd: "pin", digits: d }),
    insert: (name) => cmd({ cmd: "insert", card: name }),
    tap: (name) => cmd({ cmd: "tap", card: name }),
    remove: () => cmd({ cmd: "remove" }),
    paper: (loaded) => cmd({ cmd: "paper", loaded }),
    powerCut: async () => {
      agent.powerLost();
      await cmd({ cmd: "powerCut" });
    },
    factory: async () => {
      agent.powerLost();
      await cmd({ cmd: "factory" });
    },
    printed: () => client.command<string[]>({ cmd: "printed" }),
    logs: (last) => client.command<string[]>({ cmd: "logs", last }),
  };
}

export interface SerialTargetOptions {
  /** A real board's port (default: the simulated board behind a pty). */
  port?: string;
  baudRate?: number;
  /** A bench's control socket for a real board. */
  rig?: string;
  /** Echo the simulated board's log. */
  echoLogs?: boolean;
}

/** Starts the simulated board (boards/sim/hil-board.ts) and waits until its pty and control socket exist. */
async function startPtyBoard(echo: boolean): Promise<{ link: string; control: string; proc: ChildProcess; dir: string; out: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), "hil-"));
  const link = join(dir, "ttyHIL0");
  const control = join(dir, "rig.sock");
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "boards/sim/hil-board.ts"), "--link", link, "--control", control, ...(echo ? ["--echo"] : [])], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    if (echo) process.stdout.write(d);
    if (out.length > 200000) out = out.slice(-100000);
  });
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`E_HIL_BOARD: the pty board did not come up in 60 s:\n${out}`)), 60000);
    proc.stdout!.on("data", () => {
      if (out.includes("hil-board ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on("close", (code) => {
      clearTimeout(t);
      reject(new Error(`E_HIL_BOARD: the pty board ended (${code}):\n${out}`));
    });
  });
  return { link, control, proc, dir, out: () => out };
}

export async function startSerialTarget(o: SerialTargetOptions = {}): Promise<HilTarget> {
  let board: Awaited<ReturnType<typeof startPtyBoard>> | undefined;
  let portPath = o.port;
  let rigPath = o.rig;
  if (!portPath) {
    board = await startPtyBoard(!!o.echoLogs);
    portPath = board.link;
    rigPath = board.control;
  }
  let agent: SerialAgent;
  let rigClient: RigClient | undefined;
  try {
    agent = await SerialAgent.open(portPath, o.baudRate ?? 115200, 60000);
    rigClient = rigPath ? await RigClient.open(rigPath) : undefined;
  } catch (e) {
    board?.proc.kill("SIGTERM");
    throw e;
  }
  const rig = rigClient ? rigOver(rigClient, agent) : undefined;
  // The bench watches the board: one that stopped by itself (out of memory, a crash) fails the waiting requests and
  // waits at once instead of at the step's time limit.
  let ended: string | undefined;
  let epoch = 0;
  const watch = rigClient
    ? setInterval(() => {
        const asked = epoch;
        rigClient!
          .command<{ ended: string | null }>({ cmd: "status" })
          .then((st) => {
            if (asked !== epoch || !st.ended) return;
            ended = st.ended;
            agent.boardStopped(`the board stopped: ${st.ended}`);
          })
          .catch(() => undefined);
      }, 1000)
    : undefined;
  if (rig) {
    // A power-on (cut or factory board) starts a new watch.
    for (const k of ["powerCut", "factory"] as const) {
      const f = rig[k];
      rig[k] = async () => {
        epoch++;
        ended = undefined;
        await f();
        epoch++;
        ended = undefined;
      };
    }
  }
  watch?.unref();
  return {
    name: "serial",
    agent,
    rig,
    timing: SERIAL_TIMING,
    during: (p) => unlessStopped(p, () => ended),
    async diagnose() {
      const logs = rig ? await Promise.race([rig.logs(40), new Promise<string[]>((r) => setTimeout(() => r(["(no answer from the rig)"]), 2000))]).catch((e) => [String(e)]) : [];
      const st = rigClient ? await Promise.race([rigClient.command<{ ended: string | null; powerOns: number }>({ cmd: "status" }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]).catch(() => undefined) : undefined;
      const how = st ? `power-ons ${st.powerOns}; ${st.ended ?? "running"}; ` : "";
      return `${how}port ${portPath}, ${agent.discarded} bytes discarded on the line\n${logs.join("\n")}`;
    },
    async close() {
      if (watch) clearInterval(watch);
      await agent.close();
      rigClient?.close();
      if (board) {
        const ended = new Promise((r) => board!.proc.once("close", r));
        board.proc.kill("SIGTERM");
        const t = setTimeout(() => board!.proc.kill("SIGKILL"), 5000);
        await ended;
        clearTimeout(t);
        rmSync(board.dir, { recursive: true, force: true });
      }
    },
  };
}
