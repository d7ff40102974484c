/** board.json: what a board provides, read and checked by the build and the simulator. */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BoardJson {
  name: string;
  description: string;
  engine: string;
  natives: string[];
  serial: Record<string, { port: string; baud: number }>;
  pins: Record<string, number>;
  /** Raw sectors and the named partitions on them (store, log, resources, system). */
  flash: { sectorSize: number; sectorCount: number; partitions: Record<string, { first: number; count: number }> };
  modem: { model: string; esim: boolean };
  display: { rows: number; columns: number };
  budgets: { heapBytes: number; bundleBytes: number };
  /** The image carries the HIL/test agent (CBOR frames on the debug port): sim and HIL boards only. */
  agent?: boolean;
}

export const KNOWN_NATIVES = ["serial", "timers", "clock", "flash", "card", "magstripe", "ped", "display", "keypad", "system"];

export class BoardError extends Error {
  readonly code = "E_BOARD_JSON";
}

/** Reads and validates boards/<name>/board.json. */
export function loadBoard(name: string): BoardJson {
  const file = join(ROOT, "boards", name, "board.json");
  if (!existsSync(file)) throw new BoardError(`no board "${name}" (boards/${name}/board.json); boards: ${listBoards().join(", ")}`);
  const b = JSON.parse(readFileSync(file, "utf8")) as BoardJson;
  const fail = (what: string) => {
    throw new BoardError(`boards/${name}/board.json: ${what}`);
  };
  if (b.name !== name) fail(`name "${b.name}" differs from its folder`);
  if (!Array.isArray(b.natives)) fail("natives must be a list");
  for (const n of b.natives) if (!KNOWN_NATIVES.includes(n)) fail(`unknown native "${n}"`);
  for (const [role, p] of Object.entries(b.serial ?? {}))
    if (typeof p?.port !== "string" || !(p.baud > 0)) fail(`serial.${role} needs a port and a baud rate`);
  if (!(b.flash?.sectorSize > 0 && b.flash?.sectorCount > 0)) fail("flash needs sectorSize and sectorCount");
  const used = new Array<string | undefined>(b.flash.sectorCount);
  for (const [part, r] of Object.entries(b.flash.partitions ?? {})) {
    if (!(r.first >= 0 && r.count > 0 && r.first + r.count <= b.flash.sectorCount)) fail(`flash partition ${part} outside the flash`);
    for (let s = r.first; s < r.first + r.count; s++) {
      if (used[s]) fail(`flash partitions ${used[s]} and ${part} overlap at sector ${s}`);
      used[s] = part;
    }
  }
  if (!(b.budgets?.heapBytes > 0 && b.budgets?.bundleBytes > 0)) fail("budgets need heapBytes and bundleBytes");
  return b;
}

export function listBoards(): string[] {
  return readdirSync(join(ROOT, "boards"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, "boards", d.name, "board.json")))
    .map((d) => d.name);
}
