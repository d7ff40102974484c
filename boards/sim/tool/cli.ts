/**
 * The desk tool for integrators (Node, over firmware/core):
 *
 *   npm run -s tool -- mac --alg x9.19 --key 41414141414141414242424242424242 --text "hello world"
 *   npm run -s tool -- kcv --alg 3des --key 0123456789ABCDEFFEDCBA9876543210
 *   npm run -s tool -- tlv 9F02060000000123455F2A020156
 *   printf 'kcv --alg des --key 0123456789ABCDEF\n' | npm run -s tool -- batch
 *
 * One line of hex (or a readable tree) on stdout. Bad input: a message on stderr and exit status 2 for a
 * wrong command line, 1 for input the core refuses (its error code shown). `tool batch` reads one command
 * per stdin line (the words after `tool`; blank lines and lines starting with # are skipped) and prints one
 * line per command: the result (several lines joined with " | ") or `error: ...`; it exits 1 when any
 * command failed. `tool help [COMMAND]` prints the usage.
 */
import { pathToFileURL } from "node:url";
import { COMMANDS } from "./commands.ts";
import { UsageError, splitWords } from "./args.ts";

export interface ToolIO {
  out(line: string): void;
  err(line: string): void;
  /** The whole of stdin (read only by `batch`). */
  readStdin(): Promise<string>;
}

function usage(name?: string): string[] {
  if (name && COMMANDS[name]) return [`usage: tool ${COMMANDS[name]!.usage}`];
  return [
    "usage: tool COMMAND [OPTIONS]   (hex may have spaces or colons between bytes)",
    ...Object.values(COMMANDS).map((c) => "  " + c.usage),
    "  batch   (one command per stdin line, one result line each; `error: ...` for a failed one)",
    "  help [COMMAND]",
  ];
}

/** Runs one command; returns its lines or throws (UsageError, CoreError, ...). */
export function runCommand(words: readonly string[]): string[] {
  const [name, ...rest] = words;
  if (!name) throw new UsageError("no command (tool help lists them)");
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command "${name}" (commands: ${[...Object.keys(COMMANDS), "batch", "help"].join(", ")})`);
  try {
    return cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${name}: ${e.message}`);
    throw e;
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The tool's entry: `argv` are the words after `tool`. Returns the exit status. */
export async function main(argv: readonly string[], io: ToolIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const lines = usage(rest[0]);
    for (const l of lines) (name === undefined ? io.err : io.out)(l);
    return name === undefined ? 2 : 0;
  }
  if (name === "batch") {
    if (rest.length) {
      io.err(`tool batch: takes no arguments (commands come on stdin), got "${rest[0]}"`);
      return 2;
    }
    let failed = 0;
    for (const raw of (await io.readStdin()).split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      try {
        const words = splitWords(line);
        if (words[0] === "batch" || words[0] === "help") throw new UsageError(`${words[0]} cannot run inside batch`);
        io.out(runCommand(words).join(" | "));
      } catch (e) {
        failed++;
        io.out(`error: ${errorText(e)}`);
      }
    }
    return failed ? 1 : 0;
  }
  try {
    for (const l of runCommand(argv)) io.out(l);
    return 0;
  } catch (e) {
    io.err(`tool ${e instanceof UsageError ? "" : name + ": "}${errorText(e)}`);
    if (e instanceof UsageError && COMMANDS[name]) io.err(`usage: tool ${COMMANDS[name]!.usage}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `tool tlv ... | head`: a closed pipe ends the output quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
    readStdin: () => readAll(process.stdin),
  });
  process.exitCode = code;
}
