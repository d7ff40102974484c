/**
 * hal/at/engine.ts on Node: final results and their codes, intermediate lines by prefix, URCs in the
 * middle of a response, echo, one command in flight, timeouts, a module reset mid-command, the data
 * prompt (and a lost one), raw blocks, CONNECT to data mode, close; then byte-level fuzz against a
 * scripted module, and a run against the real virtual EC200U (boards/sim/devices/modem4g.ts) with
 * its noise switched on.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AtEngine, type AtLink, type AtTimers } from "../../hal/at/engine.ts";
import { AtError } from "../../hal/at/errors.ts";
import { HalError } from "../../hal/errors.ts";
import { CmeError, Modem4G, chinaMobileProfile, realTimeHost, type SimProfile, type Uicc } from "../../boards/sim/devices/modem4g.ts";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));

/** The serial line between the engine and a module: each push is one chunk the engine reads. */
class Wire implements AtLink {
  readonly writes: string[] = [];
  onWrite: ((data: Uint8Array) => void) | undefined;
  private chunks: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  push(data: Uint8Array | string): void {
    this.chunks.push(typeof data === "string" ? bytes(data) : data);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async read(): Promise<Uint8Array> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) return c;
      if (this.closed) throw new HalError("E_SERIAL_CLOSED", "read on a closed port");
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
  write(data: Uint8Array): void {
    if (this.closed) throw new HalError("E_SERIAL_CLOSED", "write on a closed port");
    this.writes.push(latin1(data));
    this.onWrite?.(Uint8Array.from(data));
  }
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

function nodeTimers(): AtTimers & { dispose(): void } {
  let n = 0;
  const m = new Map<number, NodeJS.Timeout>();
  return {
    set(cb, ms) {
      const id = ++n;
      m.set(
        id,
        setTimeout(() => {
          m.delete(id);
          cb();
        }, ms),
      );
      return id;
    },
    clear(id) {
      const t = m.get(id);
      if (t) clearTimeout(t);
      m.delete(id);
    },
    dispose() {
      for (const t of m.values()) clearTimeout(t);
      m.clear();
    },
  };
}

/** A scripted module: command line -> response text (sent on a later turn, as a UART would). */
function scripted(script: Record<string, string | ((wire: Wire) => void)>, opts: { echo?: boolean } = {}) {
  const wire = new Wire();
  const timers = nodeTimers();
  const at = new AtEngine(wire, timers, { defaultTimeoutMs: 300 });
  let line = "";
  wire.onWrite = (data) => {
    const s = latin1(data);
    if (!s.endsWith("\r")) return; // data after a prompt: handled by the script's own hook
    line = s.slice(0, -1);
    const r = script[line];
    setImmediate(() => {
      if (opts.echo) wire.push(`${line}\r`);
      if (typeof r === "string") wire.push(r);
      else r?.(wire);
    });
  };
  return { wire, at, timers, lastLine: () => line };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped ${String(e)}`;
  }
}

test("final results: OK, ERROR, +CME/+CMS ERROR with the number, dial results, CONNECT", async () => {
  const { at, timers } = scripted({
    AT: "\r\nOK\r\n",
    "AT+E1": "\r\nERROR\r\n",
    "AT+E2": "\r\n+CME ERROR: 10\r\n",
    "AT+E3": "\r\n+CMS ERROR: 500\r\n",
    "AT+E4": "\r\n+CME ERROR: SIM not inserted\r\n",
    ATD1: "\r\nNO CARRIER\r\n",
    ATD2: "\r\nBUSY\r\n",
    ATD3: "\r\nNO DIALTONE\r\n",
    ATD4: "\r\nNO DIAL TONE\r\n",
    ATD5: "\r\nNO ANSWER\r\n",
    ATD6: "\r\nCONNECT 9600\r\n",
  });
  assert.is((await at.command("AT")).final, "OK");
  const cases: Array<[string, string, number | undefined]> = [
    ["AT+E1", "E_AT_ERROR", undefined],
    ["AT+E2", "E_CME_ERROR", 10],
    ["AT+E3", "E_CMS_ERROR", 500],
    ["ATD1", "E_NO_CARRIER", undefined],
    ["ATD2", "E_BUSY", undefined],
    ["ATD3", "E_NO_DIALTONE", undefined],
    ["ATD4", "E_NO_DIALTONE", undefined],
    ["ATD5", "E_NO_ANSWER", undefined],
  ];
  for (const [cmd, code, cme] of cases) {
    try {
      await at.command(cmd);
      assert.unreachable(cmd);
    } catch (e) {
      assert.instance(e, AtError);
      assert.is((e as AtError).code, code, cmd);
      assert.is((e as AtError).cme, cme, cmd);
      assert.is((e as AtError).command, cmd);
    }
  }
  const text = await at.command("AT+E4").catch((e: AtError) => e);
  assert.is((text as AtError).code, "E_CME_ERROR");
  assert.ok(Number.isNaN((text as AtError).cme));
  assert.is((text as AtError).final, "+CME ERROR: SIM not inserted");
  assert.is((await at.command("ATD6")).final, "CONNECT 9600");
  at.close();
  timers.dispose();
});

test("intermediate lines by prefix; a URC in the middle of a response goes to its subscriber", async () => {
  const { at, timers } = scripted({
    "AT+CSQ": '\r\n+QIURC: "recv",3\r\n\r\n+CSQ: 24,99\r\n\r\n+CEREG: 1\r\n\r\n+QIURC: "closed",1\r\n\r\nOK\r\n',
    "AT+CREG?": "\r\n+CREG: 1\r\n\r\n+CREG: 0,5\r\n\r\nOK\r\n",
    "AT+GSN": "\r\n861234050123456\r\n\r\n+QIURC: \"recv\",0\r\n\r\nOK\r\n",
  });
  const urcs: string[] = [];
  at.on("+QIURC:", (l) => urcs.push(l));
  at.on("+CEREG:", (l) => urcs.push(l));
  at.on("+CREG:", (l) => urcs.push(l));
  const r = await at.command("AT+CSQ", { expect: "+CSQ:" });
  assert.equal(r.lines, ["+CSQ: 24,99"]);
  assert.equal(urcs, ['+QIURC: "recv",3', "+CEREG: 1", '+QIURC: "closed",1']);
  // A URC with the prefix the command expects is taken as the command's line (documented).
  const c = await at.command("AT+CREG?", { expect: "+CREG:" });
  assert.equal(c.lines, ["+CREG: 1", "+CREG: 0,5"]);
  // Bare answers (expect "") still leave subscribed URCs to their subscribers.
  const g = await at.command("AT+GSN", { expect: "" });
  assert.equal(g.lines, ["861234050123456"]);
  assert.is(urcs[urcs.length - 1], '+QIURC: "recv",0');
  at.close();
  timers.dispose();
});

test("echo (ATE1) is ignored; unclaimed lines count as stray", async () => {
  const { at, timers } = scripted({ "AT+CPIN?": "\r\n+CPIN: READY\r\n\r\n+QIND: PB DONE\r\n\r\nOK\r\n" }, { echo: true });
  const r = await at.command("AT+CPIN?", { expect: "+CPIN:" });
  assert.equal(r.lines, ["+CPIN: READY"]);
  assert.is(at.stats.echoes, 1);
  assert.is(at.stats.stray, 1);
  at.close();
  timers.dispose();
});

test("one command in flight: the next is written only after the previous final", async () => {
  const { wire, at, timers } = scripted({
    "AT+A": "\r\n+A: 1\r\n",
    "AT+B": "\r\nOK\r\n",
    "AT+C": "\r\nOK\r\n",
  });
  wire.onWrite = ((orig) => (d: Uint8Array) => {
    orig!(d);
    // The final of A comes only later: B must not be on the wire before it.
    if (latin1(d) === "AT+A\r") setTimeout(() => wire.push("\r\nOK\r\n"), 30);
  })(wire.onWrite);
  const pa = at.command("AT+A", { expect: "+A:" });
  const pb = at.command("AT+B");
  const pc = at.command("AT+C");
  assert.ok(at.busy);
  await new Promise((r) => setTimeout(r, 15));
  assert.equal(wire.writes, ["AT+A\r"]);
  assert.equal((await pa).lines, ["+A: 1"]);
  await pb;
  await pc;
  assert.equal(wire.writes, ["AT+A\r", "AT+B\r", "AT+C\r"]);
  assert.not.ok(at.busy);
  at.close();
  timers.dispose();
});

test("a command without a final ends in E_AT_TIMEOUT within its timeout; the next command works", async () => {
  const { at, timers } = scripted({ "AT+SLOW": "\r\n+SLOW: partial\r\n", AT: "\r\nOK\r\n" });
  const t0 = Date.now();
  assert.is(await codeOf(at.command("AT+SLOW", { timeoutMs: 80 })), "E_AT_TIMEOUT");
  const took = Date.now() - t0;
  assert.ok(took >= 75 && took < 400, `${took} ms`);
  assert.is((await at.command("AT")).final, "OK");
  assert.is(at.stats.timeouts, 1);
  at.close();
  timers.dispose();
});

test("RDY in the middle of a command: E_MODEM_RESET, RDY reaches subscribers, the next command works", async () => {
  const { at, timers } = scripted({
    "AT+QIACT=1": "\r\n+QIACT: partial\r\n\r\nRDY\r\n",
    "AT+QPOWD": "\r\nOK\r\n\r\nPOWERED DOWN\r\n",
    AT: "\r\nOK\r\n",
  });
  const resets: string[] = [];
  at.on("RDY", (l) => resets.push(l));
  at.on("POWERED DOWN", (l) => resets.push(l));
  const e = await at.command("AT+QIACT=1", { timeoutMs: 1000 }).catch((x: AtError) => x);
  assert.is((e as AtError).code, "E_MODEM_RESET");
  assert.is((e as AtError).final, "RDY");
  assert.equal(resets, ["RDY"]);
  assert.is((await at.command("AT")).final, "OK");
  // POWERED DOWN after OK: the command succeeded, the URC still arrives.
  assert.is((await at.command("AT+QPOWD")).final, "OK");
  await new Promise((r) => setImmediate(r));
  assert.equal(resets, ["RDY", "POWERED DOWN"]);
  at.close();
  timers.dispose();
});

test("the data prompt: data goes out only after '> '; own finals SEND OK / SEND FAIL", async () => {
  const { wire, at, timers } = scripted({
    "AT+QISEND=0,5": (w) => w.push("\r\n> "),
    "AT+QISEND=1,5": () => undefined, // the prompt is lost
  });
  // The module's data mode: after a QISEND line, the next write is the data; answer its final.
  const orig = wire.onWrite!;
  const answers = ["\r\nSEND OK\r\n", "\r\nSEND FAIL\r\n"];
  wire.onWrite = (d) => {
    const last = wire.writes[wire.writes.length - 2] ?? "";
    if (last.startsWith("AT+QISEND=")) setImmediate(() => wire.push(answers.shift()!));
    else orig(d);
  };
  const finals = { "SEND OK": "", "SEND FAIL": "E_SEND_FAIL" };
  const r = await at.command("AT+QISEND=0,5", { data: bytes("\r\nOK\r"), finals });
  assert.is(r.final, "SEND OK");
  assert.equal(wire.writes, ["AT+QISEND=0,5\r", "\r\nOK\r"]);
  // Prompt lost: after promptTimeoutMs the data is written anyway; SEND FAIL is typed.
  const t0 = Date.now();
  const e = await at.command("AT+QISEND=1,5", { data: bytes("12345"), finals, promptTimeoutMs: 40 }).catch((x: AtError) => x);
  assert.is((e as AtError).code, "E_SEND_FAIL");
  assert.ok(Date.now() - t0 >= 35);
  assert.is(at.stats.blindWrites, 1);
  assert.equal(wire.writes.slice(2), ["AT+QISEND=1,5\r", "12345"]);
  at.close();
  timers.dispose();
});

test("a raw block after a collected line (AT+QIRD) keeps CR, LF and OK inside the payload", async () => {
  const payload = "\r\nOK\r\n+QIURC: \"recv\",0\r\n\x00\xff";
  const { at, timers } = scripted({ "AT+QIRD=0,1500": `\r\n+QIRD: ${payload.length}\r\n${payload}\r\n\r\nOK\r\n` });
  const urcs: string[] = [];
  at.on("+QIURC:", (l) => urcs.push(l));
  const r = await at.command("AT+QIRD=0,1500", { expect: "+QIRD:", dataLength: (l) => Number(l.slice(7)) });
  assert.is(latin1(r.data!), payload);
  assert.equal(urcs, []);
  at.close();
  timers.dispose();
});

test("direct push: a URC subscriber with dataLength gets its payload", async () => {
  const { wire, at, timers } = scripted({});
  const got: string[] = [];
  at.on("+QIURC:", (l, d) => got.push(`${l}|${d ? latin1(d) : ""}`), (l) => {
    const m = /^\+QIURC: "recv",\d+,(\d+)$/.exec(l);
    return m ? Number(m[1]) : 0;
  });
  wire.push('\r\n+QIURC: "recv",0,6\r\nAB\r\nCD');
  wire.push('\r\n\r\n+QIURC: "closed",0\r\n');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(got, ['+QIURC: "recv",0,6|AB\r\nCD', '+QIURC: "closed",0|']);
  at.close();
  timers.dispose();
});

test("CONNECT with rawAfterConnect: the rest goes to the data sink until endRaw()", async () => {
  const { wire, at, timers } = scripted({ ATDT123: "\r\nCONNECT 2400\r\n\x02HELLO\r\nOK\r\n" });
  const raw: string[] = [];
  const r = await at.command("ATDT123", { timeoutMs: 1000, rawAfterConnect: (b) => raw.push(latin1(b)) });
  assert.is(r.final, "CONNECT 2400");
  wire.push("more\r\n");
  await new Promise((r2) => setTimeout(r2, 5));
  assert.is(raw.join(""), "\n\x02HELLO\r\nOK\r\nmore\r\n");
  at.endRaw();
  wire.push("\r\nNO CARRIER\r\n");
  await new Promise((r2) => setTimeout(r2, 5));
  assert.is(at.stats.stray, 1); // nobody listens yet
  const seen: string[] = [];
  at.on("NO CARRIER", (l) => seen.push(l));
  wire.push("\r\nNO CARRIER\r\n");
  await new Promise((r2) => setTimeout(r2, 5));
  assert.equal(seen, ["NO CARRIER"]);
  at.close();
  timers.dispose();
});

test("close: the command in flight and queued ones fail with E_AT_CLOSED; so does a port closed below", async () => {
  const { at, timers } = scripted({});
  const a = at.command("AT+X", { timeoutMs: 5000 });
  const b = at.command("AT+Y");
  at.close();
  assert.is(await codeOf(a), "E_AT_CLOSED");
  assert.is(await codeOf(b), "E_AT_CLOSED");
  assert.is(await codeOf(at.command("AT")), "E_AT_CLOSED");
  at.close(); // idempotent
  const w = new Wire();
  const at2 = new AtEngine(w, timers);
  const c = at2.command("AT", { timeoutMs: 5000 });
  w.close();
  assert.is(await codeOf(c), "E_AT_CLOSED");
  timers.dispose();
});

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("fuzz: random answers, URCs anywhere, echo, garbage between frames, random splits, resets, lost finals", async () => {
  const ROUNDS = 300;
  let commands = 0;
  let urcTotal = 0;
  let resets = 0;
  let timeouts = 0;
  let garbageLines = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const r = rng(5000 + round);
    const int = (n: number) => Math.floor(r() * n);
    const wire = new Wire();
    const timers = nodeTimers();
    const at = new AtEngine(wire, timers);
    const echo = r() < 0.5;
    const urcsSent: string[] = [];
    const urcsGot: string[] = [];
    at.on("+QIURC:", (l) => urcsGot.push(l));
    at.on("+CEREG:", (l) => urcsGot.push(l));
    at.on("RDY", () => urcsGot.push("RDY"));
    let garbage = 0;
    // The module side: frames for a command, each maybe preceded by garbage or a URC, then split.
    const respond = (cmd: string, frames: string[]) => {
      const out: number[] = [];
      const put = (s: string) => {
        for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
      };
      if (echo) put(`${cmd}\r`);
      for (const f of frames) {
        if (r() < 0.2) {
          // Garbage: starts with a high byte (never a final, URC or echo), no CR/LF inside.
          put(String.fromCharCode(0x80 + int(128)));
          for (let k = int(8); k > 0; k--) {
            let b = int(256);
            while (b === 13 || b === 10) b = int(256);
            put(String.fromCharCode(b));
          }
          garbage++;
        }
        if (r() < 0.25) {
          const u = r() < 0.5 ? `+QIURC: "recv",${int(12)}` : `+CEREG: ${int(6)}`;
          urcsSent.push(u);
          put(`\r\n${u}\r\n`);
        }
        if (f === "\r\nRDY\r\n") urcsSent.push("RDY");
        put(f);
      }
      const all = Uint8Array.from(out);
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < all.length; ) {
        const n = 1 + int(r() < 0.4 ? 2 : 24);
        pieces.push(all.subarray(i, i + n));
        i += n;
      }
      setImmediate(() => {
        for (const p of pieces) wire.push(p);
      });
    };
    const n = 1 + int(8);
    for (let k = 0; k < n; k++) {
      const kind = int(10);
      const id = `+X${k}`;
      const want = Array.from({ length: int(3) }, (_, j) => `${id}: ${j},"${"v".repeat(int(20))}"`);
      let expectCode = "resolved";
      let frames = want.map((l) => `\r\n${l}\r\n`);
      let dataLen = 0;
      if (kind === 0) {
        frames.push("\r\nRDY\r\n");
        expectCode = "E_MODEM_RESET";
        resets++;
      } else if (kind === 1) {
        expectCode = "E_AT_TIMEOUT"; // the final is lost
        timeouts++;
      } else if (kind === 2) {
        frames.push(`\r\n+CME ERROR: ${int(600)}\r\n`);
        expectCode = "E_CME_ERROR";
      } else if (kind === 3) {
        dataLen = 1 + int(30);
        const data = Array.from({ length: dataLen }, () => String.fromCharCode(int(256))).join("");
        frames = [`\r\n${id}: ${dataLen}\r\n${data}\r\n`, "\r\nOK\r\n"];
      } else frames.push("\r\nOK\r\n");
      const cmd = `AT${id}`;
      const p = at.command(cmd, { expect: `${id}:`, timeoutMs: kind === 1 ? 25 : 2000, dataLength: kind === 3 ? (l) => Number(l.split(": ")[1]) : undefined });
      respond(cmd, frames);
      try {
        const res = await p;
        assert.is(expectCode, "resolved", `round ${round} cmd ${k}`);
        if (kind === 3) assert.is(res.data?.length, dataLen, `round ${round} cmd ${k} data`);
        else assert.equal(res.lines, want, `round ${round} cmd ${k}`);
      } catch (e) {
        assert.is((e as { code?: string }).code, expectCode, `round ${round} cmd ${k}: ${String(e)}`);
      }
      commands++;
    }
    // A last command proves the channel still works; all URCs arrived exactly once, in order.
    const last = at.command("AT");
    respond("AT", ["\r\nOK\r\n"]);
    assert.is((await last).final, "OK", `round ${round} recovery`);
    assert.equal(urcsGot, urcsSent, `round ${round} urcs`);
    assert.is(at.stats.stray, garbage, `round ${round} stray`);
    urcTotal += urcsSent.length;
    garbageLines += garbage;
    at.close();
    timers.dispose();
  }
  console.log(`    at-engine fuzz: ${ROUNDS} rounds, ${commands} commands, ${urcTotal} URCs, ${resets} resets, ${timeouts} lost finals, ${garbageLines} garbage lines: all as expected`);
});

/** The engine against the real virtual module (real-time host, short boot). */
function withModem(modemOpts: ConstructorParameters<typeof Modem4G>[0]) {
  const modem = new Modem4G({ bootMs: 20, simInitMs: 10, registrationMs: 10, ...modemOpts });
  const wire = new Wire();
  const timers = nodeTimers();
  const host = realTimeHost();
  wire.onWrite = (d) => modem.receive(d);
  modem.attach((b) => wire.push(Uint8Array.from(b)), host);
  const at = new AtEngine(wire, timers, { defaultTimeoutMs: 500 });
  const rdy = new Promise<void>((r) => at.on("RDY", () => r()));
  return {
    modem,
    at,
    rdy,
    dispose() {
      at.close();
      modem.detach();
      host.dispose();
      timers.dispose();
    },
  };
}

test("against the virtual EC200U with split output and garbage between frames: every answer exact", async () => {
  const { modem, at, rdy, dispose } = withModem({ seed: 11, noise: { garbage: 0.3, garbageWhere: "between", split: true, splitMax: 5 } });
  await rdy;
  await new Promise((r) => setTimeout(r, 30)); // SIM initialised
  const N = 300;
  for (let i = 0; i < N; i++) {
    switch (i % 4) {
      case 0:
        assert.equal((await at.command("AT+CSQ", { expect: "+CSQ:" })).lines, ["+CSQ: 24,99"]);
        break;
      case 1: {
        // Bare answers (expect "") also collect garbage lines: the real ones are there, in order.
        const lines = (await at.command("ATI", { expect: "" })).lines;
        const at0 = lines.indexOf("Quectel");
        assert.ok(at0 >= 0, JSON.stringify(lines));
        assert.equal(lines.slice(at0, at0 + 3), ["Quectel", "EC200U", "Revision: EC200UCNAAR03A03M08"]);
        break;
      }
      case 2:
        assert.equal((await at.command("AT+QCCID", { expect: "+QCCID:" })).lines, ["+QCCID: 89860012345678901234"]);
        break;
      default:
        assert.is(await codeOf(at.command("AT+NOSUCH")), "E_AT_ERROR");
    }
  }
  assert.ok(modem.stats.garbageFrames > 0 && at.stats.stray > 0, `${at.stats.stray} stray`);
  console.log(`    virtual EC200U, garbage between frames + splits: ${N} commands exact, ${at.stats.stray} garbage lines skipped, ${at.stats.echoes} echoes`);
  dispose();
});

test("against the virtual EC200U with garbage anywhere: never hangs, every failure typed, clean again after", async () => {
  const { modem, at, rdy, dispose } = withModem({ seed: 12, noise: { garbage: 0.02, garbageWhere: "anywhere", split: true } });
  await rdy;
  const N = 300;
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < N; i++) {
    const t0 = Date.now();
    const code = await codeOf(at.command("AT+CSQ", { expect: "+CSQ:", timeoutMs: 100 }));
    assert.ok(Date.now() - t0 < 400, "ended within its timeout");
    assert.ok(["resolved", "E_AT_TIMEOUT", "E_AT_ERROR", "E_CME_ERROR"].includes(code), code);
    outcomes[code] = (outcomes[code] ?? 0) + 1;
  }
  modem.noise = undefined;
  for (let i = 0; i < 5; i++) assert.equal((await at.command("AT+CSQ", { expect: "+CSQ:" })).lines, ["+CSQ: 24,99"]);
  console.log(`    virtual EC200U, garbage anywhere (2%/byte): ${N} commands -> ${JSON.stringify(outcomes)}; clean afterwards`);
  dispose();
});

test("extension point: +CCHO/+CGLA/+CCHC reach the card in the slot; a profile switch shows after AT+CFUN=0/1", async () => {
  // A toy eUICC (the eSIM work builds the real one): two profiles, one ISD-R channel, APDUs echoed + 9000.
  const cmcc = chinaMobileProfile();
  const ctcc: SimProfile = { iccid: "89860311000000000001", imsi: "460110000000001", operator: { long: "CHN-CT", short: "CT", numeric: "46011" } };
  const apdus: string[] = [];
  const card: Uicc & { active: SimProfile } = {
    present: true,
    lock: "none",
    active: cmcc,
    activeProfile() {
      return this.active;
    },
    openChannel(aid) {
      if (Buffer.from(aid).toString("hex").toUpperCase() !== "A0000005591010FFFFFFFF8900000100") throw new CmeError(3);
      return 1;
    },
    transmit(channel, apdu) {
      apdus.push(`${channel}:${Buffer.from(apdu).toString("hex")}`);
      return Uint8Array.from([...apdu.subarray(5), 0x90, 0x00]);
    },
    closeChannel() {},
  };
  const { modem, at, rdy, dispose } = withModem({ sim: card });
  modem.extend((req, out) => {
    if (req.name !== "+QENG") return false;
    out.line('+QENG: "servingcell","NOCONN","LTE"');
    out.ok();
    return true;
  });
  await rdy;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal((await at.command('AT+CCHO="A0000005591010FFFFFFFF8900000100"', { expect: "+CCHO:" })).lines, ["+CCHO: 1"]);
  assert.equal((await at.command('AT+CGLA=1,22,"80E2910006BF3E035C015A"', { expect: "+CGLA:" })).lines, ['+CGLA: 16,"BF3E035C015A9000"']);
  assert.equal(apdus, ["1:80e2910006bf3e035c015a"]);
  // <length> counts hex characters: a wrong one is refused.
  assert.is((await at.command('AT+CGLA=1,11,"80E2910006BF3E035C015A"').catch((e: AtError) => e) as AtError).cme, 3);
  assert.is((await at.command('AT+CCHO="A000000003"').catch((e: AtError) => e) as AtError).cme, 3);
  assert.is((await at.command("AT+CCHC=1")).final, "OK");
  assert.equal((await at.command('AT+QENG="servingcell"', { expect: "+QENG:" })).lines, ['+QENG: "servingcell","NOCONN","LTE"']);
  assert.equal((await at.command("AT+QCCID", { expect: "+QCCID:" })).lines, [`+QCCID: ${cmcc.iccid}`]);
  // The card enables another profile; the module sees it once it re-reads the SIM.
  card.active = ctcc;
  await at.command("AT+CFUN=0");
  await at.command("AT+CFUN=1");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal((await at.command("AT+QCCID", { expect: "+QCCID:" })).lines, [`+QCCID: ${ctcc.iccid}`]);
  assert.equal((await at.command("AT+COPS?", { expect: "+COPS:" })).lines, ['+COPS: 0,0,"CHN-CT",7']);
  dispose();
  // A plain SIM has no logical channels: +CME ERROR: 4 (operation not supported).
  const plain = withModem({});
  await plain.rdy;
  await new Promise((r) => setTimeout(r, 30));
  assert.is((await plain.at.command('AT+CCHO="A0000005591010FFFFFFFF8900000100"').catch((e: AtError) => e) as AtError).cme, 4);
  plain.dispose();
});

test.run();
