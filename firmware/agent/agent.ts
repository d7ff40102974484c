/**
 * The HIL/test agent: CBOR requests and answers in CRC-checked frames (frame.ts) on the board's `debug` serial role.
 * Compiled only into images whose board.json says `"agent": true` (the build's __AGENT__ define): production images
 * carry none of it.
 *
 *   request  {id, op, args}                 answer {id, ok: true, result} | {id, ok: false, error: {code, message}}
 *   event    {ev: "ready" | "screen" | "txn" | "printed" | "failure" | "swipe", ...}   (pushed, no id)
 *
 * Ops mirror the Terminal API (activate, signIn, signOut, echo, operatorSignIn, recover, sale, balance, void, refund,
 * preAuth, preAuthCancel, completion, completionVoid, settle, reprint, configure, params, state, journal) plus
 * provision (identity + TMK under the transport key), screen, keys, log, diag, settings, time, reset, exit.
 * A card is {track2} | {pan, expiry} | {swipe: true} (the agent then sends {ev: "swipe"} and waits for one) |
 * {chip: true} (the card in the contact slot) | {tap: true} (the card in the contactless field): sale, balance, preAuth.
 */
import { errorCode } from "../../hal/errors";
import type { KeyCode } from "../../hal/ui/keypad";
import { cborDecode, cborEncode, type CborValue } from "../core/cbor";
import { parseTrack2 } from "../core/track2";
import type { CardData } from "../cup/messages";
import { diagExport } from "../diag/export";
import { runSelfTest, selfTestData } from "../diag/selftest";
import { APP_VERSION, type TerminalApp } from "../app/app";
import { encodeFrame, FrameDecoder, MAX_PAYLOAD } from "./frame";
// H7: signed firmware updates (the `update` op).
import { updateOp } from "../update/agent-op";

type Args = { [k: string]: any };

const KEYS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "enter", "cancel", "clear", "menu", "up", "down", "f1", "f2", "power"];

export interface AgentHooks {
  /** Called after every operation (the UI redraws its idle screen). */
  afterOp?(): void;
}

export function startAgent(app: TerminalApp, hooks: AgentHooks = {}): void {
  const hal = app.hal;
  const port = hal.openSerial("debug");
  let badRequests = 0;

  const send = (v: CborValue) => {
    let b = cborEncode(v);
    if (b.length > MAX_PAYLOAD) b = cborEncode({ id: (v as { id?: number }).id ?? null, ok: false, error: { code: "E_AGENT_TOO_BIG", message: `answer of ${b.length} B over ${MAX_PAYLOAD} B: ask for less (journal offset/limit)` } });
    port.write(encodeFrame(b));
  };
  app.onEvent = (e) => send(e);

  const cardOf = async (a: Args | undefined): Promise<CardData> => {
    if (!a) throw Object.assign(new Error("E_AGENT_CARD: no card in the command"), { code: "E_AGENT_CARD" });
    if (a.swipe) {
      const reader = app.reader;
      if (!reader) throw Object.assign(new Error("E_NO_CARD_READER: no card reader"), { code: "E_NO_CARD_READER" });
      const next = reader.nextSwipe(60000);
      send({ ev: "swipe" });
      const c = (await next) as unknown as { pan: string; expiry: string; track2?: string; track3?: string };
      return { entryMode: "swipe", pan: c.pan, expiry: c.expiry, track2: c.track2, track3: c.track3 };
    }
    if (typeof a.track2 === "string") {
      const t = parseTrack2(a.track2);
      return { entryMode: "swipe", pan: t.pan, expiry: t.expiry, track2: a.track2 };
    }
    if (typeof a.pan === "string") return { entryMode: "manual", pan: a.pan, expiry: a.expiry };
    throw Object.assign(new Error("E_AGENT_CARD: no card in the command"), { code: "E_AGENT_CARD" });
  };

  const run = async (op: string, a: Args): Promise<unknown> => {
    const t = app.terminal;
    switch (op) {
      case "hello":
        return { firmware: APP_VERSION, board: hal.device.name, serial: hal.system.serialNumber() };
      case "state":
        return t.state();
      case "params":
        return t.parameters();
      case "configure":
        return t.configure(a);
      case "settings":
        return app.saveSettings(a);
      case "provision":
        app.provision({ terminalId: a.terminalId, merchantId: a.merchantId, merchantName: a.merchantName, tmkCipher: a.tmkCipher, tmkKcv: a.tmkKcv });
        return t === app.terminal ? null : app.terminal.state();
      case "journal": {
        const all = t.journal();
        const offset = typeof a.offset === "number" ? a.offset : 0;
        const limit = typeof a.limit === "number" ? a.limit : 6;
        return { total: all.length, records: all.slice(offset, offset + limit) };
      }
      case "activate":
        return t.activate(a.code);
      case "signIn":
        return t.signIn();
      case "signOut":
        return t.signOut();
      case "echo":
        return t.echo();
      case "operatorSignIn":
        return t.operatorSignIn(a.no, a.password);
      case "recover":
        return t.recover();
      case "sale":
        // Chip / contactless (issue #7): card {chip: true} = the card in the contact slot, {tap: true} = in the field.
        if (a.card && (a.card.chip === true || a.card.tap === true)) return t.chipSale({ kind: "sale", amount: a.amount, slot: a.card.chip === true ? "contact" : "contactless", chooseApplication: async () => (typeof a.choose === "number" ? a.choose : 0) });
        return t.sale({ amount: a.amount, card: await cardOf(a.card), pin: a.pin === true, chipFirst: !!(a.card && a.card.swipe) });
      case "balance":
        if (a.card && (a.card.chip === true || a.card.tap === true)) return t.chipSale({ kind: "balance", slot: a.card.chip === true ? "contact" : "contactless", chooseApplication: async () => (typeof a.choose === "number" ? a.choose : 0) });
        return t.balance({ card: await cardOf(a.card), pin: a.pin === true });
      case "void":
        return t.voidSale(a.trace, { card: a.card ? await cardOf(a.card) : undefined, pin: a.pin === true, supervisorPassword: a.supervisorPassword });
      case "refund":
        return t.refund({ amount: a.amount, card: await cardOf(a.card), original: a.original, supervisorPassword: a.supervisorPassword });
      case "preAuth":
        if (a.card && (a.card.chip === true || a.card.tap === true)) return t.chipSale({ kind: "preAuth", amount: a.amount, slot: a.card.chip === true ? "contact" : "contactless", chooseApplication: async () => (typeof a.choose === "number" ? a.choose : 0) });
        return t.preAuth({ amount: a.amount, card: await cardOf(a.card), pin: a.pin === true });
      case "preAuthCancel":
        return t.preAuthCancel({ trace: a.trace, authCode: a.authCode, date: a.date, amount: a.amount, card: a.card ? await cardOf(a.card) : undefined, supervisorPassword: a.supervisorPassword });
      case "completion":
        return t.completion({ trace: a.trace, authCode: a.authCode, date: a.date, amount: a.amount, card: a.card ? await cardOf(a.card) : undefined });
      case "completionVoid":
        return t.completionVoid(a.trace, { supervisorPassword: a.supervisorPassword });
      // HIL (test/hil): store-and-forward sales below the floor limit, and their upload.
      case "offlineSale":
        return t.offlineSale({ amount: a.amount, card: await cardOf(a.card), pin: a.pin === true });
      case "uploadOffline":
        return t.uploadOffline();
      case "printResume": {
        // HIL: the printer's interrupted job (paper out, cover open) continues from its first unprinted line.
        const pr = app.printer;
        if (!pr) throw Object.assign(new Error("E_NO_PRINTER: no printer"), { code: "E_NO_PRINTER" });
        const before = pr.pendingLines;
        await pr.resume();
        return { resumedLines: before, pendingLines: pr.pendingLines };
      }
      case "settle":
        return t.settle({ supervisorPassword: a.supervisorPassword });
      case "reprint":
        return t.reprintLast();
      case "screen":
        return { lines: app.screen };
      case "keys": {
        const keys: string[] = Array.isArray(a.keys) ? a.keys : [];
        for (const k of keys) if (KEYS.indexOf(k) < 0) throw Object.assign(new Error(`E_AGENT_KEY: no key ${JSON.stringify(k)}`), { code: "E_AGENT_KEY" });
        for (const k of keys) app.press(k as KeyCode);
        return { pressed: keys.length };
      }
      case "log": {
        const entries = app.ring ? app.ring.entries() : [];
        const last = typeof a.last === "number" ? a.last : 20;
        return entries.slice(-last).map((e) => [e.seq, e.time, e.level, e.text]);
      }
      case "diag": {
        const st = t.state();
        if (!app.ring) throw Object.assign(new Error("E_AGENT_NO_LOG: no log partition"), { code: "E_AGENT_NO_LOG" });
        const steps = app.link.linkLog().map((l) => `${l.link} ${l.step} ${l.outcome} ${l.code ?? ""} ${l.detail}`);
        return diagExport({ serial: hal.system.serialNumber(), firmware: APP_VERSION, board: hal.device.name, timeSec: Math.floor(hal.time.now() / 1000), terminalId: st.terminalId || undefined, merchantId: st.merchantId || undefined }, app.ring, app.diagnoses, steps.slice(-16));
      }
      case "selfTest": // issue #9: the one-key self-test, printed unless {print: false}; the report as data
        return selfTestData(await runSelfTest(app, { print: a.print !== false, log: (level, text) => app.log(level, text) }));
      case "failure": {
        const f = app.lastFailure;
        return f ? { operation: f.operation, code: f.diagnosis.code, cause: f.diagnosis.cause.id, zh: f.diagnosis.cause.zh, next: f.diagnosis.cause.nextZh, fixer: f.diagnosis.cause.fixer, evidence: f.diagnosis.evidence } : null;
      }
      case "link":
        return { links: app.link.links, active: app.link.active ?? null, log: app.link.linkLog().slice(-12).map((l) => `${l.link} ${l.step} ${l.outcome} ${l.code ?? ""} ${l.detail}`) };
      case "time":
        return { monotonic: hal.time.monotonic(), now: hal.time.now() };
      case "stats":
        return { badRequests, frames: decoder.frames, discarded: decoder.discarded };
      case "update": // H7: {host, port} -> check the TMS and stage a signed image; {} -> the boot-control record
        return updateOp(hal, app.link, APP_VERSION, a);
      case "reset":
      case "exit":
        return null;
      default:
        throw Object.assign(new Error(`E_AGENT_OP: unknown op ${op}`), { code: "E_AGENT_OP" });
    }
  };

  let chain: Promise<void> = Promise.resolve();
  const handle = (payload: Uint8Array) => {
    let req: { id?: unknown; op?: unknown; args?: unknown };
    try {
      req = cborDecode(payload) as typeof req;
    } catch {
      badRequests++;
      return;
    }
    if (!req || typeof req !== "object" || typeof req.op !== "string" || typeof req.id !== "number") {
      badRequests++;
      send({ id: typeof req?.id === "number" ? req.id : null, ok: false, error: { code: "E_AGENT_REQUEST", message: "a request is {id: number, op: string, args?: map}" } });
      return;
    }
    const id = req.id;
    const op = req.op;
    const args = (req.args && typeof req.args === "object" ? req.args : {}) as Args;
    // `screen`, `keys` and the read-only ops answer at once; Terminal operations run one after another.
    const immediate = op === "screen" || op === "keys" || op === "state" || op === "log" || op === "time" || op === "stats" || op === "failure" || op === "hello";
    const work = async () => {
      try {
        const result = await run(op, args);
        send({ id, ok: true, result: result as CborValue });
      } catch (e) {
        const o = e as { message?: string; reversal?: string };
        send({ id, ok: false, error: { code: errorCode(e), message: String(o.message ?? e), reversal: o.reversal } });
      }
      if (op !== "screen" && op !== "keys") hooks.afterOp?.();
      if (op === "exit") hal.system.exit(typeof args.status === "number" ? args.status : 0);
      if (op === "reset") hal.system.reset();
    };
    if (immediate) void work();
    else chain = chain.then(work);
  };

  const decoder = new FrameDecoder(handle);
  // A damaged length can hide the frames behind it: when the line stays quiet with bytes pending, look past it.
  let quiet: number | undefined;
  let pushes = 0;
  void (async () => {
    for (;;) {
      const chunk = await port.read();
      pushes++;
      decoder.push(chunk);
      if (quiet !== undefined) hal.time.timers.clear(quiet);
      const mark = pushes;
      quiet = hal.time.timers.set(() => {
        quiet = undefined;
        if (mark === pushes) decoder.idle();
      }, 100);
    }
  })();
  send({ ev: "ready", firmware: APP_VERSION, board: hal.device.name, boot: hal.time.monotonic() });
}
