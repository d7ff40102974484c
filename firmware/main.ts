/** Firmware entry: the board's natives and description in, the app started (with the test agent on HIL/sim images). */
import { natives } from "../hal/native";
import { device } from "../hal/device";
import { createHal } from "../hal/index";
import { startApp } from "./app/start";
import { startAgent } from "./agent/agent";

void startApp(createHal(natives, device), natives, {
  // __AGENT__ is false on production boards: esbuild drops this branch and the agent module with it.
  agent: __AGENT__ ? (app, ui) => startAgent(app, { afterOp: () => ui.refresh() }) : undefined,
});
