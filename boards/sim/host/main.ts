/**
 * The acquirer host on its own: `tsx boards/sim/host/main.ts [--config FILE] [--script FILE] [--port N] [--quiet]`.
 * Prints the port, every event (PANs masked) and, on Ctrl-C, the ledger.
 */
import { createAcquirerHost, loadHostConfig, type HostConfig } from "./host.ts";
import { EventLog } from "./events.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const config: HostConfig = opt("--config") ? loadHostConfig(opt("--config")!) : {};
if (opt("--port")) config.port = Number(opt("--port"));
const quiet = args.includes("--quiet");
const printer = new EventLog();
config.onEvent = (e) => {
  if (!quiet) console.log(printer.format([e]));
};
const host = await createAcquirerHost(config);
if (opt("--script")) host.rules.loadFile(opt("--script")!);
console.log(`acquirer host listening on ${host.address}:${host.port} (${host.rules.list().length} scripted rules)`);
process.on("SIGINT", async () => {
  console.log("\nledger:\n" + (host.ledger.format() || "(empty)"));
  await host.close();
  process.exit(0);
});
