/**
 * Keeps the on-target end-to-end test honest: its scripted host answers with frames recorded from the real
 * acquirer host (boards/sim/host) for the scenario of test/ontarget/txn-e2e-setup.ts. This test plays the scenario
 * again against the real host (fixed clock, seeded key generator) with the Terminal in Node's fast mode and checks
 * that every request and answer is byte for byte the recording in test/ontarget/txn-e2e-recording.ts — so the
 * recorded answers carry correct MACs under keys the host really issued. `RECORD=1` rewrites the recording.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../../build/board.ts";
import { createAcquirerHost, type AcquirerHost } from "../../../boards/sim/host/host.ts";
import type { NetConnector, NetSocket } from "../../../hal/net/socket.ts";
import { splitFrame } from "../../../firmware/cup/frame.ts";
import { cupMessage, readResponse } from "../../../firmware/cup/messages.ts";
import { verifyMac } from "../../../firmware/core/mac.ts";
import { E2E, prepareActivated } from "../../ontarget/txn-e2e-setup.ts";
import { RECORDING } from "../../ontarget/txn-e2e-recording.ts";
import type { RecordedExchange } from "../../ontarget/txn-peers.ts";
import { nodeConnector, nodeTerminal } from "./node-terminal.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

/** A deterministic generator for the host's keys (xorshift32). */
function seeded(seed: number): (into: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (into) => {
    for (let i = 0; i < into.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      into[i] = x & 0xff;
    }
  };
}

/** Records each connection's request and answer bytes. */
function capturing(log: RecordedExchange[]): NetConnector {
  return {
    async connect(h, p, o) {
      const s = await nodeConnector.connect(h, p, o);
      const ex: RecordedExchange = { request: "", response: "" };
      log.push(ex);
      const wrap: NetSocket = {
        write: async (d) => {
          ex.request += hex(d);
          await s.write(d);
        },
        read: async (t, m) => {
          const d = await s.read(t, m);
          ex.response += hex(d);
          return d;
        },
        readExactly: async (n, t) => {
          const d = await s.readExactly(n, t);
          ex.response += hex(d);
          return d;
        },
        close: () => s.close(),
      };
      return wrap;
    },
  };
}

let host: AcquirerHost;
test.before(async () => {
  host = await createAcquirerHost({
    terminals: [{ terminalId: E2E.terminalId, merchantId: E2E.merchantId, merchantName: E2E.merchantName, tmkHex: E2E.tmkHex }],
    clock: () => new Date(E2E.hostClockIso),
    random: seeded(20261122),
  });
});
test.after(async () => {
  await host.close();
});

test("the scenario against the real host gives exactly the recorded frames (MACs verified under the host's MAK)", async () => {
  const got: RecordedExchange[] = [];
  const first = nodeTerminal({ connector: capturing(got) });
  prepareActivated(first.terminal.store, first.ped, host.port);
  const { terminal, ped } = first.reboot();
  terminal.operatorSignIn(E2E.operator, E2E.operatorPassword);
  assert.is((await terminal.signIn()).status, "approved");
  ped.nextPin = E2E.pin;
  const sale = await terminal.sale({ amount: E2E.amount, card: { entryMode: "swipe", pan: E2E.pan, track2: E2E.track2 }, pin: true });
  assert.is(sale.status, "approved", JSON.stringify(sale));
  const v = await terminal.voidSale(sale.record.stan, { supervisorPassword: E2E.supervisorPassword });
  assert.is(v.status, "approved", JSON.stringify(v));
  assert.is(got.length, 3);

  // The answers to the sale and the void carry the MAC of the MAK the host issued at that sign-in.
  const mak = Buffer.from(host.terminals.keys(E2E.terminalId).mak!, "hex");
  for (const ex of got.slice(1)) {
    const wire = Buffer.from(ex.response, "hex");
    const f = splitFrame(wire);
    const m = cupMessage().parse(wire, f.bodyOffset, f.body.length);
    assert.is(readResponse(m).code, "00");
    verifyMac("cup-ecb", mak, m.macInput(), m.mac()!);
  }
  if (process.env.RECORD) {
    const body = got.map((e) => `  {\n    request:\n      "${e.request}",\n    response:\n      "${e.response}",\n  },`).join("\n");
    writeFileSync(
      join(ROOT, "test/ontarget/txn-e2e-recording.ts"),
      `/**\n * Frames of the on-target end-to-end scenario (txn-e2e-setup.ts) as the acquirer host (boards/sim/host) answered\n * them: sign-in, sale, void. Written by test/unit/txn/e2e-recording.test.ts with RECORD=1, which also checks\n * on every run that the real host still gives exactly these bytes.\n */\nimport type { RecordedExchange } from "./txn-peers";\n\nexport const RECORDING: readonly RecordedExchange[] = [\n${body}\n];\n`,
    );
  }
  assert.equal(got, RECORDING.map((e) => ({ request: e.request, response: e.response })), "the recording is what the host answers today (RECORD=1 to rewrite it)");
});

test.run();
