/**
 * The `sim` target: the sim firmware image (terminal app + test agent) in the embedded engine in this process,
 * virtual time, the agent client (boards/sim/script/agent-client.ts) on the debug port, the rig played directly on
 * the virtual devices (boards/sim/hil/board.ts).
 */
import { AgentClient } from "../../../boards/sim/script/agent-client.ts";
import { HilBoard } from "../../../boards/sim/hil/board.ts";
import { unlessStopped, type HilTarget, type PresentedCard, type Rig, type Timing } from "../target.ts";

export const SIM_TIMING: Timing = {
  // Virtual ms: a host delay of a few real seconds outlasts it (the modem's hold on the clock is capped at 2 s).
  responseTimeoutMs: 20000,
  hostDelayPastTimeoutMs: 4000,
  stepMs: 90000,
};

export async function startSimTarget(o: { echoLogs?: boolean } = {}): Promise<HilTarget> {
  const agent = new AgentClient();
  const board = new HilBoard({ debug: agent, clock: "virtual", echoLogs: o.echoLogs });
  const rig: Rig = {
    swipe: async (c: PresentedCard) => board.command({ cmd: "swipe", track2: c.track2 }) as Promise<boolean>,
    pin: async (d) => void (await board.command(d === "cancel" ? { cmd: "pinCancel" } : { cmd: "pin", digits: d })),
    insert: async (name) => void (await board.command({ cmd: "insert", card: name })),
    tap: async (name) => void (await board.command({ cmd: "tap", card: name })),
    remove: async () => void (await board.command({ cmd: "remove" })),
    paper: async (loaded) => void (await board.command({ cmd: "paper", loaded })),
    powerCut: async () => void (await board.command({ cmd: "powerCut" })),
    factory: async () => void (await board.command({ cmd: "factory" })),
    printed: async () => board.world.printer.text(),
    logs: async (last = 60) => board.logs.slice(-last),
  };
  const target: HilTarget = {
    name: "sim",
    agent,
    rig,
    timing: SIM_TIMING,
    during: (p) => agent.during(unlessStopped(p, () => board.ended)),
    diagnose: async () => `power-ons ${board.powerOns}; ${board.ended ?? "running"}\n${board.logs.slice(-40).join("\n")}`,
    async close() {
      // A board that already stopped answers nothing: do not wait for it.
      if (!board.ended) await Promise.race([agent.call("exit", { status: 0 }).catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
      await Promise.race([board.done, new Promise((r) => setTimeout(r, 3000))]);
      await board.stop();
    },
  };
  return target;
}
