/**
 * Text measurement for the terminal's display: East Asian Wide and Fullwidth characters (CJK
 * ideographs, kana, Hangul, fullwidth forms, CJK punctuation, ...) take two columns, the rest one
 * (Unicode UAX #11; ambiguous-width characters are narrow). The range table is Unicode's W/F data
 * (generated from the Unicode EastAsianWidth property, checked against it by test/engine/ui-display.test.ts).
 */

/** Inclusive [first, last] pairs of W/F code points, ascending. */
const WIDE = [
  0x1100, 0x115f, 0x231a, 0x231b, 0x2329, 0x232a, 0x23e9, 0x23ec, 0x23f0, 0x23f0, 0x23f3, 0x23f3, 0x25fd,
  0x25fe, 0x2614, 0x2615, 0x2630, 0x2637, 0x2648, 0x2653, 0x267f, 0x267f, 0x268a, 0x268f, 0x2693, 0x2693,
  0x26a1, 0x26a1, 0x26aa, 0x26ab, 0x26bd, 0x26be, 0x26c4, 0x26c5, 0x26ce, 0x26ce, 0x26d4, 0x26d4, 0x26ea,
  0x26ea, 0x26f2, 0x26f3, 0x26f5, 0x26f5, 0x26fa, 0x26fa, 0x26fd, 0x26fd, 0x2705, 0x2705, 0x270a, 0x270b,
  0x2728, 0x2728, 0x274c, 0x274c, 0x274e, 0x274e, 0x2753, 0x2755, 0x2757, 0x2757, 0x2795, 0x2797, 0x27b0,
  0x27b0, 0x27bf, 0x27bf, 0x2b1b, 0x2b1c, 0x2b50, 0x2b50, 0x2b55, 0x2b55, 0x2e80, 0x2e99, 0x2e9b, 0x2ef3,
  0x2f00, 0x2fd5, 0x2ff0, 0x303e, 0x3041, 0x3096, 0x3099, 0x30ff, 0x3105, 0x312f, 0x3131, 0x318e, 0x3190,
  0x31e5, 0x31ef, 0x321e, 0x3220, 0x3247, 0x3250, 0xa48c, 0xa490, 0xa4c6, 0xa960, 0xa97c, 0xac00, 0xd7a3,
  0xf900, 0xfaff, 0xfe10, 0xfe19, 0xfe30, 0xfe52, 0xfe54, 0xfe66, 0xfe68, 0xfe6b, 0xff01, 0xff60, 0xffe0,
  0xffe6, 0x16fe0, 0x16fe4, 0x16ff0, 0x16ff6, 0x17000, 0x18cda, 0x18cff, 0x18d20, 0x18d80, 0x18df2, 0x18e00,
  0x19191, 0x191a0, 0x191d2, 0x1aff0, 0x1aff3, 0x1aff5, 0x1affb, 0x1affd, 0x1affe, 0x1b000, 0x1b128, 0x1b132,
  0x1b132, 0x1b150, 0x1b152, 0x1b155, 0x1b155, 0x1b164, 0x1b168, 0x1b170, 0x1b2fb, 0x1d300, 0x1d356, 0x1d360,
  0x1d376, 0x1f004, 0x1f004, 0x1f0cf, 0x1f0cf, 0x1f18e, 0x1f18e, 0x1f191, 0x1f19a, 0x1f1ae, 0x1f1ae, 0x1f200,
  0x1f202, 0x1f210, 0x1f23b, 0x1f240, 0x1f248, 0x1f250, 0x1f251, 0x1f260, 0x1f265, 0x1f300, 0x1f320, 0x1f32d,
  0x1f335, 0x1f337, 0x1f37c, 0x1f37e, 0x1f393, 0x1f3a0, 0x1f3ca, 0x1f3cf, 0x1f3d3, 0x1f3e0, 0x1f3f0, 0x1f3f4,
  0x1f3f4, 0x1f3f8, 0x1f43e, 0x1f440, 0x1f440, 0x1f442, 0x1f4fc, 0x1f4ff, 0x1f53d, 0x1f54b, 0x1f54e, 0x1f550,
  0x1f567, 0x1f57a, 0x1f57a, 0x1f595, 0x1f596, 0x1f5a4, 0x1f5a4, 0x1f5fb, 0x1f64f, 0x1f680, 0x1f6c5, 0x1f6cc,
  0x1f6cc, 0x1f6d0, 0x1f6d2, 0x1f6d5, 0x1f6d9, 0x1f6dc, 0x1f6df, 0x1f6eb, 0x1f6ec, 0x1f6f4, 0x1f6fc, 0x1f7da,
  0x1f7da, 0x1f7e0, 0x1f7eb, 0x1f7f0, 0x1f7f0, 0x1f90c, 0x1f93a, 0x1f93c, 0x1f945, 0x1f947, 0x1f9ff, 0x1fa70,
  0x1fa7c, 0x1fa80, 0x1fac6, 0x1fac8, 0x1fac8, 0x1facc, 0x1fadd, 0x1fadf, 0x1faeb, 0x1faef, 0x1fafa, 0x20000,
  0x2fffd, 0x30000, 0x3fffd

];

/** Columns one code point takes: 2 for W/F, else 1. */
export function charWidth(cp: number): 1 | 2 {
  if (cp < 0x1100) return 1;
  let lo = 0;
  let hi = (WIDE.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < WIDE[mid * 2]!) hi = mid - 1;
    else if (cp > WIDE[mid * 2 + 1]!) lo = mid + 1;
    else return 2;
  }
  return 1;
}

/** Code point at UTF-16 index `i` (a surrogate pair read whole; a lone surrogate as itself). */
function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/** Display columns of a string. */
export function textWidth(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; ) {
    const cp = codePointAt(s, i);
    i += cp > 0xffff ? 2 : 1;
    w += charWidth(cp);
  }
  return w;
}

/** The longest prefix of `s` that fits `columns` (a wide character is never split). */
export function fitText(s: string, columns: number): string {
  let w = 0;
  for (let i = 0; i < s.length; ) {
    const cp = codePointAt(s, i);
    const cw = charWidth(cp);
    if (w + cw > columns) return s.slice(0, i);
    w += cw;
    i += cp > 0xffff ? 2 : 1;
  }
  return s;
}

function spaces(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += " ";
  return s;
}

/** `s` fitted and padded with spaces to exactly `columns` columns. */
export function padText(s: string, columns: number, align: "left" | "center" | "right" = "left"): string {
  const t = fitText(s, columns);
  const room = columns - textWidth(t);
  if (align === "left") return t + spaces(room);
  if (align === "right") return spaces(room) + t;
  const before = room >> 1;
  return spaces(before) + t + spaces(room - before);
}

/** `left` and `right` on one line of `columns` (right wins room; left is cut first). */
export function spreadText(left: string, right: string, columns: number): string {
  const r = fitText(right, columns);
  const rw = textWidth(r);
  const l = fitText(left, Math.max(0, columns - rw - (rw > 0 && rw < columns ? 1 : 0)));
  return l + spaces(columns - textWidth(l) - rw) + r;
}

/**
 * Breaks `s` into lines of at most `columns`: CJK may break anywhere, a run of narrow characters
 * breaks at its last space when it has one; explicit "\n" breaks too.
 */
export function wrapText(s: string, columns: number): string[] {
  const out: string[] = [];
  if (columns < 2) return [fitText(s, columns)];
  const paragraphs = s.split("\n");
  for (let p = 0; p < paragraphs.length; p++) {
    let rest = paragraphs[p]!;
    if (rest === "") out.push("");
    while (rest.length > 0) {
      let line = fitText(rest, columns);
      if (line.length < rest.length) {
        const next = rest.charCodeAt(line.length);
        const sp = line.lastIndexOf(" ");
        // Mid-word in narrow text: go back to the last space.
        if (next !== 32 && sp > 0 && charWidth(line.charCodeAt(line.length - 1)) === 1) line = line.slice(0, sp);
      }
      out.push(line.replace(/ +$/, ""));
      rest = rest.slice(line.length).replace(/^ +/, "");
    }
  }
  return out;
}
