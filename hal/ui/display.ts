/**
 * Display driver over the display native: rows of text where CJK takes two columns, fitted by the
 * driver so nothing overflows the panel, and a `Screen` model (title, lines, prompt) the app renders
 * in one call. The frame is built in the native's buffer and shown by `flush()`.
 */
import { HalError } from "../errors";
import { fitText, padText, spreadText, wrapText } from "./text";

export type Align = "left" | "center" | "right";

export interface LineOptions {
  align?: Align;
  inverse?: boolean;
  large?: boolean;
}

/** One screen: a title bar (row 0, centred, inverse), body lines, a prompt on the last row. */
export interface Screen {
  title?: string;
  /** Body lines: a string, or one with its own alignment. Lines beyond the body rows are dropped. */
  lines?: Array<string | { text: string; align?: Align; inverse?: boolean }>;
  /** Long text wrapped into the body after `lines`. */
  message?: string;
  prompt?: string;
  promptAlign?: Align;
}

export class Display {
  readonly rows: number;
  readonly columns: number;

  constructor(private readonly native: Natives.Display) {
    this.rows = native.rows;
    this.columns = native.columns;
    if (!(this.rows > 0 && this.columns > 0)) throw new HalError("E_DISPLAY", "the board has no display");
  }

  clear(): void {
    this.native.clear();
  }

  /** Writes one row; text wider than the panel is cut at a character boundary. */
  line(row: number, text: string, options: LineOptions = {}): void {
    if (!(row === (row | 0) && row >= 0 && row < this.rows)) throw new HalError("E_DISPLAY_ROW", `row ${row}: 0..${this.rows - 1}`);
    const o: { align?: Align; inverse?: boolean; large?: boolean } = {};
    if (options.align && options.align !== "left") o.align = options.align;
    if (options.inverse) o.inverse = true;
    if (options.large) o.large = true;
    this.native.text(row, fitText(text, this.columns), o);
  }

  /** `left` and `right` on one row (a label and a value). */
  pair(row: number, left: string, right: string): void {
    this.line(row, spreadText(left, right, this.columns));
  }

  flush(): void {
    this.native.flush();
  }

  /** Renders a whole screen and shows it. */
  show(screen: Screen): void {
    this.native.clear();
    let row = 0;
    const last = this.rows - 1;
    const bodyEnd = screen.prompt !== undefined ? last : this.rows;
    if (screen.title !== undefined) this.line(row++, padText(screen.title, this.columns, "center"), { inverse: true });
    const lines = screen.lines ?? [];
    for (let i = 0; i < lines.length && row < bodyEnd; i++) {
      const l = lines[i]!;
      if (typeof l === "string") this.line(row++, l);
      else this.line(row++, l.text, { align: l.align, inverse: l.inverse });
    }
    if (screen.message !== undefined) {
      const wrapped = wrapText(screen.message, this.columns);
      for (let i = 0; i < wrapped.length && row < bodyEnd; i++) this.line(row++, wrapped[i]!);
    }
    if (screen.prompt !== undefined) this.line(last, screen.prompt, { align: screen.promptAlign ?? "center" });
    this.native.flush();
  }
}
