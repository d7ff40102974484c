/**
 * The interactive simulator as a person meets it: `npm start -- --interactive ...` in a pseudo-terminal (node-pty),
 * its output rendered by a real terminal emulator (@xterm/headless), keystrokes written to the pty. Panes are read
 * by their place in the layout of a 130 x 42 window (boards/sim/tui/interactive.ts): the terminal's screen and the
 * PED on the left 24 columns, the slip on the right 36, cards and host between, three footer rows.
 */
import * as xtermModule from "@xterm/headless";
import * as pty from "@lydell/node-pty";
import { ROOT } from "../../build/board.ts";

const Terminal = ((xtermModule as unknown as { default?: typeof xtermModule }).default ?? xtermModule).Terminal;
export const COLS = 130;
export const ROWS = 42;

export interface Tui {
  /** Rows of the emulated screen, or a rectangle of it. */
  screen(rowFrom?: number, rowTo?: number, colFrom?: number, colTo?: number): string[];
  terminalPane(): string;
  pedPane(): string;
  cardsPane(): string;
  hostPane(): string;
  slipPane(): string;
  footer(): string;
  /** Waits until `pred` holds on the rendered screen; the deadline is generous for a loaded machine. */
  until(what: string, pred: () => boolean, timeoutMs?: number): Promise<void>;
  type(keys: string): void;
  /** Everything the program wrote, escape sequences included. */
  output(): string;
  exited: Promise<{ exitCode: number; signal?: number }>;
  /** Resolves once the emulator has parsed everything received so far. */
  settle(): Promise<void>;
  normalBuffer(): boolean;
  kill(): void;
}

export function startTui(args: string[]): Tui {
  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  let all = "";
  const proc = pty.spawn("npm", ["start", "-s", "--", "--interactive", ...args], {
    name: "xterm-256color",
    cols: COLS,
    rows: ROWS,
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: "0" } as Record<string, string>,
  });
  proc.onData((d) => {
    all += d;
    term.write(d);
  });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => proc.onExit(resolve));
  const screen = (rowFrom = 0, rowTo = ROWS, colFrom = 0, colTo = COLS) => {
    const b = term.buffer.active;
    const out: string[] = [];
    for (let r = rowFrom; r < rowTo; r++) out.push(b.getLine(b.viewportY + r)?.translateToString(true, colFrom, colTo) ?? "");
    return out;
  };
  const text = (lines: string[]) => lines.join("\n");
  const settle = () => new Promise<void>((r) => term.write("", r));
  return {
    screen,
    terminalPane: () => text(screen(0, 10, 0, 24)),
    pedPane: () => text(screen(20, ROWS - 3, 0, 24)),
    cardsPane: () => text(screen(0, 20, 25, 94)),
    hostPane: () => text(screen(15, ROWS - 3, 25, 94)),
    slipPane: () => text(screen(0, ROWS - 3, 94, COLS)),
    footer: () => text(screen(ROWS - 3, ROWS)),
    async until(what, pred, timeoutMs = 60000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        await settle();
        if (pred()) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${text(screen())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    type: (keys) => proc.write(keys),
    output: () => all,
    exited,
    settle,
    normalBuffer: () => term.buffer.active.type === "normal",
    kill() {
      try {
        proc.kill();
      } catch {
        // already gone
      }
    },
  };
}

/** Waits for the process to end (rejects after `ms`). */
export function exitWithin(t: Tui, ms: number): Promise<{ exitCode: number; signal?: number }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    t.exited.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${t.output().slice(-2000)}`)), ms);
    }),
  ]);
}
