/**
 * The terminal application: the devices opened over the HAL, the Terminal on the flash store, the link manager
 * (4G with eSIM failover, then dial-up) as its connector, the log ring on the "log" partition, and the menu UI
 * on the display and keypad (menu.ts). Every failure is diagnosed (firmware/diag), shown with its cause, next step
 * and who fixes it, and logged to the ring.
 *
 * The app reports what happens (screen changes, transaction events, printer done) to one observer: the test agent
 * on HIL/sim images (firmware/agent/agent.ts); production images have none.
 */
import type { Hal } from "../../hal/index";
import { errorCode } from "../../hal/errors";
import { Display } from "../../hal/ui/display";
import { wrapText } from "../../hal/ui/text";
import { Keypad, type KeyCode } from "../../hal/ui/keypad";
import { PinPad } from "../../hal/ped/index";
import { MagstripeReader, ContactCard, ContactlessCard } from "../../hal/card/index";
import { GbCodeTable, Printer, codeTableOffset } from "../../hal/escpos/index";
import { openQuectel } from "../../hal/modem/quectel";
import { EsimClient } from "../../hal/esim/client";
import { openDialup } from "../../hal/dialup/hayes";
import { LinkManager, type LinkPolicy } from "../../hal/link/manager";
import type { NetConnector } from "../../hal/net/socket";
import { Terminal, type TerminalEvent, type TxnOutcome } from "../terminal/terminal";
import { openStore } from "../terminal/storage";
import { paramsChange } from "../terminal/params";
import { TMK_SLOT } from "../terminal/signin";
import { TRANSPORT_KEY } from "../../hal/ped/pinpad";
import type { FlashLog } from "../store/flash-log";
import { LogRing } from "../diag/log-ring";
import { diagnose, type Diagnosis, type Evidence } from "../diag/diagnose";
import { FIXER_ZH } from "../diag/causes";
// Self-diagnosis (issue #9): failure evidence from the link, the sign-in record for the self-test's key/clock checks.
import { failureEvidence } from "../diag/diagnose";
import { recordSignIn } from "../diag/selftest";
import type { QuectelModem } from "../../hal/modem/quectel";
import type { CborValue } from "../core/cbor";

export const APP_VERSION = __VERSION__;
/** App settings in the terminal's store (beside the Terminal's keys 0x01xx/0x1000+/0x2000+). */
export const KEY_APP_SETTINGS = 0x0300;

export type AppEvent = { [k: string]: CborValue };

export interface AppSettings {
  /** Sign in (working keys) at boot when activated and signed out. */
  autoSignIn: boolean;
}

/** A failure, diagnosed: what the screen shows. */
export interface Failure {
  operation: string;
  diagnosis: Diagnosis;
  message: string;
}

export const LINK_POLICY: LinkPolicy = {
  cellular: {
    apn: "cmnet",
    apnByPlmn: { "46000": "cmnet", "46002": "cmnet", "46004": "cmnet", "46007": "cmnet", "46001": "3gnet", "46006": "3gnet", "46003": "ctnet", "46011": "ctnet" },
    registrationTimeoutMs: 30000,
    connectTimeoutMs: 30000,
  },
  dialup: { numbers: ["95516"], dialTimeoutMs: 90000 },
};

export class TerminalApp {
  readonly display: Display;
  readonly keypad: Keypad;
  readonly pinpad: PinPad;
  readonly reader: MagstripeReader | undefined;
  readonly contact: ContactCard | undefined;
  readonly contactless: ContactlessCard | undefined;
  readonly printer: Printer | undefined;
  readonly link: LinkManager;
  /** The 4G module and the chip-card native, for the self-test (firmware/diag/selftest.ts). */
  readonly modem: QuectelModem | undefined;
  readonly cardNative: Natives.Board["card"];
  readonly ring: LogRing | undefined;
  readonly store: FlashLog;
  terminal: Terminal;
  settings: AppSettings = { autoSignIn: true };
  /** The panel as last shown, one string per row. */
  screen: string[] = [];
  /** The last diagnoses (newest last), for the diag export. */
  readonly diagnoses: Diagnosis[] = [];
  lastFailure: Failure | undefined;
  /** The observer (the test agent). */
  onEvent: ((e: AppEvent) => void) | undefined;
  private injectKey: ((k: KeyCode) => void) | undefined;
  private rows: string[] = [];

  constructor(readonly hal: Hal, natives: Natives.Board) {
    const dn = natives.display;
    this.rows = blankRows(dn.rows);
    const rows = this.rows;
    // The display native, watched: the app (and the agent) know what the panel shows.
    const watched: Natives.Display = {
      rows: dn.rows,
      columns: dn.columns,
      clear: () => {
        for (let i = 0; i < rows.length; i++) rows[i] = "";
        dn.clear();
      },
      text: (row, text, o) => {
        rows[row] = text;
        dn.text(row, text, o);
      },
      flush: () => {
        dn.flush();
        this.screen = rows.slice();
        this.emit({ ev: "screen", lines: this.screen });
      },
    };
    this.display = new Display(watched);
    // The keypad native, with a way in for injected keys (the agent's `keys`).
    this.keypad = new Keypad(
      {
        open: (o) => {
          this.injectKey = o.onKey;
          return natives.keypad.open(o);
        },
      },
      natives.timers,
    );
    this.pinpad = new PinPad(natives.ped, natives.timers);
    this.reader = safe(() => new MagstripeReader(natives.magstripe, natives.timers));
    // Chip readers (issue #7): the contact slot and the contactless field of the board's card native.
    this.contact = natives.card ? safe(() => new ContactCard({ card: natives.card, timers: natives.timers })) : undefined;
    this.contactless = natives.card ? safe(() => new ContactlessCard({ card: natives.card, timers: natives.timers })) : undefined;
    this.printer = hal.device.serial.printer
      ? safe(() => new Printer({ stream: hal.openSerial("printer"), time: hal.time, table: GbCodeTable.open(hal.flash, codeTableOffset(hal.device)), log: hal.log }))
      : undefined;
    const part = hal.device.flash.partitions.log;
    this.ring = part ? safe(() => new LogRing(hal.flash, part.first, part.count)) : undefined;
    const modem = hal.device.serial.modem ? openQuectel(hal) : undefined;
    const esim = modem && hal.device.modem.esim ? new EsimClient(modem.at, { time: hal.time, modem }) : undefined;
    const dialup = hal.device.serial.dialup ? safe(() => openDialup(hal)) : undefined;
    this.link = new LinkManager({ time: hal.time, modem, esim, dialup }, LINK_POLICY);
    this.modem = modem;
    this.cardNative = natives.card;
    this.store = openStore(hal);
    const s = this.store.get(KEY_APP_SETTINGS);
    if (s && s.length >= 1) this.settings = { autoSignIn: s[0] === 1 };
    this.terminal = this.openTerminal();
  }

  private openTerminal(): Terminal {
    const connector: NetConnector = this.link;
    return Terminal.open({
      hal: this.hal,
      pinpad: this.pinpad,
      connector,
      printer: this.printer,
      store: this.store,
      firmwareVersion: APP_VERSION,
      onEvent: (e) => this.onTerminalEvent(e),
      chip: { contact: this.contact, contactless: this.contactless },
    });
  }

  private onTerminalEvent(e: TerminalEvent): void {
    this.emit({ ev: "txn", kind: e.kind, mti: e.mti, stan: e.stan, detail: e.detail });
    if (e.kind === "print") this.emit({ ev: "printed", stan: e.stan });
    if (e.kind === "signin") recordSignIn(this); // check values and host time for the self-test
    const status = e.kind === "pin" ? "请持卡人输入密码" : e.kind === "connect" ? "正在连接中心..." : e.kind === "sent" ? "已发送，等待应答..." : undefined;
    if (status && this.busyTitle) this.display.show({ title: this.busyTitle, lines: ["", status], prompt: e.kind === "pin" ? "在密码键盘上输入" : "请稍候" });
  }

  /** Set while an operation runs, so progress screens keep its title. */
  busyTitle: string | undefined;

  emit(e: AppEvent): void {
    const f = this.onEvent;
    if (!f) return;
    try {
      f(e);
    } catch {
      // an observer's failure is not the terminal's
    }
  }

  /** A key as if pressed on the keypad (agent). */
  press(k: KeyCode): void {
    this.injectKey?.(k);
  }

  log(level: 0 | 1 | 2 | 3, text: string): void {
    if (level === 3) this.hal.log.error(text);
    else if (level === 2) this.hal.log.warn(text);
    else this.hal.log.info(text);
    try {
      this.ring?.append(level, text, Math.floor(this.hal.time.now() / 1000));
    } catch {
      // the log must never take the terminal down
    }
  }

  saveSettings(next: Partial<AppSettings>): AppSettings {
    this.settings = { ...this.settings, ...next };
    this.store.put(KEY_APP_SETTINGS, new Uint8Array([this.settings.autoSignIn ? 1 : 0]));
    return this.settings;
  }

  /**
   * A terminal set up at a key-loading facility: the TMK loaded into the PED under its factory transport key
   * (cipher + KCV: the clear key never reaches the engine), the identity stored, activated without the
   * activation exchange. The working keys of an earlier TMK are void.
   */
  provision(o: { terminalId: string; merchantId: string; merchantName?: string; tmkCipher: Uint8Array; tmkKcv: Uint8Array }): void {
    const p = this.terminal.parameters();
    const next = { ...p, terminalId: o.terminalId, merchantId: o.merchantId, merchantName: o.merchantName ?? p.merchantName, activated: true };
    const change = paramsChange(next); // validates before the PED is touched
    this.pinpad.loadTmk({ slot: TMK_SLOT, algorithm: o.tmkCipher.length === 8 ? "des" : "3des", cipher: o.tmkCipher, kcv: o.tmkKcv, underSlot: TRANSPORT_KEY });
    this.terminal.keys.invalidate();
    this.store.commit([change]);
    this.terminal = this.openTerminal();
    this.log(1, `provisioned as terminal ${o.terminalId} merchant ${o.merchantId} (TMK loaded under the transport key)`);
  }

  /** Boot: recover a pending reversal, then sign in when the settings ask for it. Failures are shown, not thrown. */
  async startup(): Promise<void> {
    const st = this.terminal.state();
    this.log(1, `app ${APP_VERSION} terminal ${st.terminalId || "-"} activated=${st.activated} signedIn=${st.signedIn} batch=${st.batch}`);
    if (st.reversalPending) {
      try {
        const r = await this.terminal.recover();
        this.log(1, `recover: reversal ${r.reversal}, advices ${r.advices}`);
      } catch (e) {
        this.fail("recover", e);
      }
    }
    if (this.settings.autoSignIn && st.activated && !this.terminal.state().signedIn) {
      try {
        const r = await this.terminal.signIn();
        if (r.status === "approved") this.log(1, `auto sign-in ok batch ${r.batch}`);
        else this.fail("sign-in", undefined, r.code);
      } catch (e) {
        this.fail("sign-in", e);
      }
    }
  }

  /** Names the cause of a failure (error or host answer), logs it, keeps it for the export. */
  fail(operation: string, e: unknown, responseCode?: string): Failure {
    const st = this.terminal.state();
    const ev: Evidence = { operation, activated: st.activated, keysPresent: st.signedIn, clockMs: this.hal.time.now() };
    if (responseCode !== undefined) ev.responseCode = responseCode;
    else ev.error = errorCode(e);
    const steps = this.link.linkLog().filter((l) => l.outcome === "fail");
    if (steps.length) ev.linkSteps = steps.slice(-3).map((l) => `${l.link} ${l.step} ${l.code ?? ""}`);
    // The link's own diagnosis and the 4G module's evidence (SIM, CSQ, registration) behind a connection failure.
    if (e !== undefined) Object.assign(ev, failureEvidence(e, this.link.linkLog()));
    const diagnosis = diagnose(ev);
    const message = e !== undefined ? String((e as { message?: string }).message ?? e) : `39=${responseCode}`;
    this.diagnoses.push(diagnosis);
    if (this.diagnoses.length > 8) this.diagnoses.shift();
    this.log(2, `${operation} failed ${diagnosis.code}: ${diagnosis.cause.id} (${message})`);
    const f: Failure = { operation, diagnosis, message };
    this.lastFailure = f;
    this.emit({ ev: "failure", operation, code: diagnosis.code, cause: diagnosis.cause.id, zh: diagnosis.cause.zh, next: diagnosis.cause.nextZh, fixer: diagnosis.cause.fixer });
    return f;
  }

  /** The failure screen: cause, next step, who fixes it. */
  showFailure(title: string, f: Failure): void {
    const c = f.diagnosis.cause;
    const cols = this.display.columns;
    const body = this.display.rows - 2;
    const lines = wrapText(c.zh, cols).concat(wrapText("处理:" + c.nextZh, cols), wrapText(FIXER_ZH[c.fixer], cols));
    const shown = lines.slice(0, body - 1);
    shown.push("代码 " + f.diagnosis.code);
    this.display.show({ title, lines: shown, prompt: "按任意键返回" });
  }

  /** Outcome of a transaction: declines go through the diagnosis too. */
  outcomeFailure(operation: string, o: TxnOutcome): Failure | undefined {
    return o.status === "approved" ? undefined : this.fail(operation, undefined, o.code);
  }
}

function blankRows(n: number): string[] {
  const r: string[] = [];
  for (let i = 0; i < n; i++) r.push("");
  return r;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
