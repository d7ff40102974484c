/**
 * The simulator's display and keypad.
 *
 * SimDisplay plays the `display` native (host functions displayInfo, displayClear, displayText,
 * displayFlush): a frame buffer of rows x columns cells where an East Asian Wide/Fullwidth character
 * (measured with the Unicode data of the `get-east-asian-width` package, not with the firmware's own
 * table) fills two cells. Text that does not fit is clipped and counted in `overflows`. `flush()` copies
 * the frame to the panel the test reads (`panel()`, `frames`).
 *
 * SimKeypad plays the `keypad` native (keypadOpen, keypadClose): the test presses keys; while a linked
 * SimPed runs a PIN entry the keys go to the PED instead (digits never reach the engine).
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import { eastAsianWidth } from "get-east-asian-width";
import type { ExtraNatives, HostApi } from "../engine-host.ts";
import type { SimPed } from "./ped.ts";

export type KeyCode = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "enter" | "cancel" | "clear" | "menu" | "up" | "down" | "f1" | "f2" | "power";
const KEYS = new Set<string>(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "enter", "cancel", "clear", "menu", "up", "down", "f1", "f2", "power"]);

/** Columns a character takes on the panel (Unicode East Asian Width: W/F = 2). */
export function panelWidth(ch: string): 1 | 2 {
  return eastAsianWidth(ch.codePointAt(0)!) === 2 ? 2 : 1;
}

interface Row {
  /** One entry per cell: a character, "" for the right half of a wide one, " " when blank. */
  cells: string[];
  inverse: boolean;
  large: boolean;
}

export class SimDisplay implements ExtraNatives {
  /** Every flushed panel, oldest first. */
  readonly frames: string[][] = [];
  /** Writes whose text did not fit the row. */
  overflows = 0;
  private frame: Row[];
  private shown: Row[];

  constructor(readonly rows = 8, readonly columns = 20) {
    this.frame = this.blank();
    this.shown = this.blank();
  }

  private blank(): Row[] {
    return Array.from({ length: this.rows }, () => ({ cells: new Array<string>(this.columns).fill(" "), inverse: false, large: false }));
  }

  /** The panel as last flushed: one string per row, each `columns` wide on the panel. */
  panel(): string[] {
    return this.shown.map((r) => r.cells.join(""));
  }
  /** Row attributes of the panel. */
  attributes(row: number): { inverse: boolean; large: boolean } {
    const r = this.shown[row]!;
    return { inverse: r.inverse, large: r.large };
  }
  /** Display width of a panel row as drawn (counts cells, so always `columns` unless corrupted). */
  cellsOf(row: number): string[] {
    return this.shown[row]!.cells.slice();
  }
  /** The panel as text for failure messages. */
  dump(): string {
    return this.panel()
      .map((l, i) => `|${l}|${this.shown[i]!.inverse ? " (inverse)" : ""}`)
      .join("\n");
  }

  write(row: number, text: string, options: { align?: string; inverse?: boolean; large?: boolean }): void {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new Error(`E_DISPLAY_ROW: row ${row} (0..${this.rows - 1})`);
    const chars = [...text];
    let width = 0;
    const fit: string[] = [];
    for (const ch of chars) {
      const w = panelWidth(ch);
      if (width + w > this.columns) {
        this.overflows++;
        break;
      }
      fit.push(ch);
      width += w;
    }
    const start = options.align === "center" ? (this.columns - width) >> 1 : options.align === "right" ? this.columns - width : 0;
    const cells = new Array<string>(this.columns).fill(" ");
    let c = start;
    for (const ch of fit) {
      cells[c++] = ch;
      if (panelWidth(ch) === 2) cells[c++] = "";
    }
    this.frame[row] = { cells, inverse: options.inverse === true, large: options.large === true };
  }

  clear(): void {
    this.frame = this.blank();
  }

  flush(): void {
    this.shown = this.frame.map((r) => ({ cells: r.cells.slice(), inverse: r.inverse, large: r.large }));
    this.frames.push(this.panel());
  }

  install(ctx: QuickJSContext, host: QuickJSHandle, _api: HostApi): void {
    this.frame = this.blank();
    const fn = (name: string, f: (...args: QuickJSHandle[]) => QuickJSHandle | undefined | void) => {
      const h = ctx.newFunction(name, (...args) => f(...args) ?? ctx.undefined);
      ctx.setProp(host, name, h);
      h.dispose();
    };
    fn("displayInfo", () => {
      const o = ctx.newObject();
      const r = ctx.newNumber(this.rows);
      const c = ctx.newNumber(this.columns);
      ctx.setProp(o, "rows", r);
      ctx.setProp(o, "columns", c);
      r.dispose();
      c.dispose();
      return o;
    });
    fn("displayClear", () => this.clear());
    fn("displayText", (rowH, textH, optsH) => {
      const opts = JSON.parse(ctx.getString(optsH)) as { align?: string; inverse?: boolean; large?: boolean };
      this.write(ctx.getNumber(rowH), ctx.getString(textH), opts);
    });
    fn("displayFlush", () => this.flush());
  }
}

export class SimKeypad implements ExtraNatives {
  /** When set, keys go to this PED while it runs a PIN entry. */
  ped: SimPed | undefined;
  /** Keys delivered to the engine, in order. */
  readonly delivered: KeyCode[] = [];
  private readonly open = new Set<number>();
  private api: HostApi | undefined;

  constructor(options: { ped?: SimPed } = {}) {
    this.ped = options.ped;
  }

  /** Presses keys in order; returns how many reached the engine (none while the keypad is closed). */
  press(...keys: KeyCode[]): number {
    let n = 0;
    for (const k of keys) {
      if (!KEYS.has(k)) throw new Error(`no key "${k}" on this keypad`);
      if (this.ped?.entering) {
        this.ped.press(k);
        continue;
      }
      if (!this.api || this.open.size === 0) continue;
      for (const id of this.open) this.api.post("key", id, k);
      this.delivered.push(k);
      n++;
    }
    return n;
  }

  install(ctx: QuickJSContext, host: QuickJSHandle, api: HostApi): void {
    this.api = api;
    this.open.clear();
    const open = ctx.newFunction("keypadOpen", () => {
      const id = api.newHandlerId();
      this.open.add(id);
      return ctx.newNumber(id);
    });
    ctx.setProp(host, "keypadOpen", open);
    open.dispose();
    const close = ctx.newFunction("keypadClose", (idH) => {
      this.open.delete(ctx.getNumber(idH));
    });
    ctx.setProp(host, "keypadClose", close);
    close.dispose();
  }
}
