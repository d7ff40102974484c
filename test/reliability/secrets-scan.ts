/**
 * The secrets scanner (issue #10): what to look for and how it can appear in bytes. A PAN as ASCII digits,
 * UTF-16LE digits (engines hold strings that way), and BCD packed at either nibble alignment; its middle digits
 * (beyond the first 6 / last 4) as ASCII/UTF-16 too, which catches a PAN masked wrongly. A PIN as ASCII/UTF-16
 * digits; the clear ISO format 0 PIN block and its PIN field as bytes and as hex text. Keys in clear as bytes and
 * as hex text (either case, ASCII and UTF-16).
 */
export interface Secret {
  kind: "PAN" | "PIN" | "PIN block" | "key";
  name: string;
  patterns: Array<{ encoding: string; bytes: Uint8Array }>;
}

const ascii = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const utf16 = (s: string) => new Uint8Array(Buffer.from(s, "utf16le"));
const hexText = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Digits packed two per byte; `odd` starts them at the low nibble (the first, partial byte left out). */
function bcd(d: string, odd: boolean): Uint8Array {
  const s = odd ? d.substring(1) : d;
  const n = Math.floor(s.length / 2);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (Number(s[2 * i]) << 4) | Number(s[2 * i + 1]);
  return out;
}

export function panSecret(pan: string, name = "PAN"): Secret {
  const mid = pan.substring(6, pan.length - 4);
  return {
    kind: "PAN",
    name,
    patterns: [
      { encoding: "ASCII", bytes: ascii(pan) },
      { encoding: "UTF-16", bytes: utf16(pan) },
      { encoding: "BCD", bytes: bcd(pan, false) },
      { encoding: "BCD (odd nibble)", bytes: bcd(pan, true) },
      { encoding: "middle digits ASCII", bytes: ascii(mid) },
      { encoding: "middle digits UTF-16", bytes: utf16(mid) },
    ],
  };
}

/** ISO 9564 format 0: PIN field XOR PAN field (12 rightmost PAN digits without the check digit). */
export function pinBlock0(pin: string, pan: string): { field: Uint8Array; block: Uint8Array } {
  const f = Buffer.from(("0" + pin.length.toString(16) + pin).padEnd(16, "F"), "hex");
  const p = Buffer.from(("0000" + pan.substring(pan.length - 13, pan.length - 1)).padStart(16, "0"), "hex");
  const block = new Uint8Array(8);
  for (let i = 0; i < 8; i++) block[i] = f[i]! ^ p[i]!;
  return { field: new Uint8Array(f), block };
}

export function pinSecrets(pin: string, pan: string): Secret[] {
  const { field, block } = pinBlock0(pin, pan);
  return [
    { kind: "PIN", name: "clear PIN", patterns: [{ encoding: "ASCII", bytes: ascii(pin) }, { encoding: "UTF-16", bytes: utf16(pin) }] },
    {
      kind: "PIN block",
      name: "clear PIN block (ISO 0) and PIN field",
      patterns: [
        { encoding: "bytes", bytes: block },
        { encoding: "hex ASCII", bytes: ascii(hexText(block)) },
        { encoding: "HEX ASCII", bytes: ascii(hexText(block).toUpperCase()) },
        { encoding: "PIN field bytes", bytes: field },
        { encoding: "PIN field HEX", bytes: ascii(hexText(field).toUpperCase()) },
      ],
    },
  ];
}

export function keySecret(name: string, key: Uint8Array): Secret {
  const h = hexText(key);
  return {
    kind: "key",
    name,
    patterns: [
      { encoding: "bytes", bytes: key },
      { encoding: "hex ASCII", bytes: ascii(h) },
      { encoding: "HEX ASCII", bytes: ascii(h.toUpperCase()) },
      { encoding: "HEX UTF-16", bytes: utf16(h.toUpperCase()) },
      { encoding: "hex UTF-16", bytes: utf16(h) },
    ],
  };
}

export interface Finding {
  secret: string;
  kind: Secret["kind"];
  encoding: string;
  offset: number;
}

/** Every occurrence of every pattern (Buffer.indexOf: fast enough for the 30+ MB of a heap dump). */
export function scan(data: Uint8Array, secrets: Secret[]): Finding[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Finding[] = [];
  for (const s of secrets) {
    for (const p of s.patterns) {
      if (p.bytes.length < 4) continue;
      let at = buf.indexOf(p.bytes);
      while (at >= 0) {
        out.push({ secret: s.name, kind: s.kind, encoding: p.encoding, offset: at });
        at = buf.indexOf(p.bytes, at + 1);
      }
    }
  }
  return out;
}

export function summary(f: Finding[]): string {
  if (!f.length) return "none";
  const by = new Map<string, number>();
  for (const x of f) by.set(`${x.secret} (${x.encoding})`, (by.get(`${x.secret} (${x.encoding})`) ?? 0) + 1);
  return [...by].map(([k, v]) => `${k} ×${v}`).join("; ");
}
