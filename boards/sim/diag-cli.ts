/**
 * `npm run diag -- FILE`: reads a terminal's diagnostic export (CBOR) and prints it for the support desk.
 * Decoded with cbor-x, independently of the firmware's own codec.
 */
import { readFileSync } from "node:fs";
import { decode } from "cbor-x";

const LEVEL = ["DBG", "INF", "WRN", "ERR"];

export function renderExport(bytes: Uint8Array): string {
  let doc: Record<string, unknown>;
  try {
    doc = decode(bytes) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`E_DIAG_FILE: not a CBOR document (${(e as Error).message})`);
  }
  if (!doc || doc.format !== "cup-terminal-diag") throw new Error("E_DIAG_FILE: not a terminal diagnostic export");
  const out: string[] = [];
  const time = (s: number) => (s ? new Date(s * 1000).toISOString().replace("T", " ").slice(0, 19) : "(no clock)");
  out.push(`terminal ${doc.serial} firmware ${doc.firmware} board ${doc.board}`);
  out.push(`exported ${time(Number(doc.time))}  terminal ${doc.terminalId ?? "-"}  merchant ${doc.merchantId ?? "-"}`);
  const diags = (doc.diagnoses as Array<Record<string, unknown>>) ?? [];
  out.push(`diagnoses (${diags.length}):`);
  for (const d of diags) out.push(`  ${d.cause} [${d.code}] ${d.zh} -> ${d.next} (${d.fixer})${(d.evidence as string[]).length ? "\n    " + (d.evidence as string[]).join("\n    ") : ""}`);
  const link = (doc.link as string[]) ?? [];
  if (link.length) out.push(`link steps:\n  ${link.join("\n  ")}`);
  const log = (doc.log as Array<[number, number, number, string]>) ?? [];
  out.push(`log (${log.length} entries):`);
  for (const [seq, t, level, text] of log) out.push(`  ${String(seq).padStart(6)} ${time(t)} ${LEVEL[level] ?? level} ${text}`);
  return out.join("\n");
}

if (process.argv[1]?.endsWith("diag-cli.ts")) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: npm run diag -- FILE");
    process.exit(2);
  }
  try {
    console.log(renderExport(readFileSync(file)));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
