/**
 * `npm start`: builds the sim firmware and runs it in the embedded engine with the virtual devices.
 * Later issues add the acquirer host, the guided demo and the interactive terminal.
 */
import { buildImage, formatReport, imagesFor } from "../../build/build.ts";
import { createWorld } from "./world.ts";

const [spec] = imagesFor("sim");
console.log("build " + formatReport(await buildImage(spec!)));
const world = createWorld({ echoLogs: true, onBoot: (n) => console.log(`-- boot ${n}`) });
const r = await world.host.run();
const m = r.memory;
console.log(
  `engine: ${r.status} (exit ${r.exitCode}) after ${r.boots} boot(s), ${r.elapsedMs} ms virtual time\n` +
    `memory: peak ${m.peakBytes} B above the empty engine (data about ${m.peakHeapBytes} B of the ${m.heapLimitBytes} B heap budget, code ${m.codeBytes} B); engine baseline ${m.baselineBytes} B; ${m.samples} samples`,
);
if (r.error) console.error(r.error);
process.exit(r.status === "exit" ? r.exitCode : 1);
