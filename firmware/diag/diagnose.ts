/**
 * The diagnosis engine: a failure and its evidence in, the cause, the next step and who can fix it out.
 * Rules look first at what the host said (field 39), then at the typed error, and use the evidence
 * (signal, registration, SIM state, keys, clock) to tell apart causes that share an error code, e.g.
 * a timeout on a weak signal from a timeout on a good one.
 */
import { cause, type Cause } from "./causes";
import { responseCode } from "../cup/response-codes";

export interface ModemEvidence {
  cpin?: string;
  csq?: number;
  dbm?: number;
  /** CREG/CEREG stat: 1 home, 5 roaming, 2 searching, 3 denied, 0 not searching. */
  stat?: number;
  cme?: number;
  operator?: string;
}

export interface Evidence {
  /** What was being done: "activation", "sign-in", "sale", "print", "self-test" ... */
  operation?: string;
  /** The typed error code (E_...), when the failure was an error. */
  error?: string;
  /** Field 39 of the host's answer, when it answered. */
  responseCode?: string;
  modem?: ModemEvidence;
  /** Links tried in order (e.g. "4g:46000 denied", "4g:46001 ok"). */
  linkSteps?: string[];
  /** The link manager's diagnosis (E_LINK_*) behind a connection failure (ExchangeError.linkCode). */
  linkCode?: string;
  keysPresent?: boolean;
  activated?: boolean;
  /** RTC, ms since epoch. */
  clockMs?: number;
  /** Last successful host contact, ms since epoch (0 = never). */
  lastHostContactMs?: number;
}

export interface Diagnosis {
  cause: Cause;
  /** The code that led to it: a response code ("39=51") or an error code. */
  code: string;
  /** Short evidence lines for the screen, the slip and the support desk. */
  evidence: string[];
}

/** Below this (dBm) the signal is too weak for reliable data. */
export const WEAK_SIGNAL_DBM = -105;
/** An RTC before this (2024-01-01) has lost its time. */
export const CLOCK_SANE_MS = 1704067200000;

const RESPONSE_CAUSE: { readonly [code: string]: string } = {
  "01": "issuer-declined", "05": "issuer-declined",
  "03": "merchant-blocked", "12": "merchant-blocked", "40": "merchant-blocked", "58": "merchant-blocked",
  "04": "card-lost-stolen", "34": "card-lost-stolen", "41": "card-lost-stolen", "43": "card-lost-stolen",
  "14": "card-read-error", "22": "batch-mismatch", "77": "batch-mismatch", "30": "host-interface-changed",
  "33": "card-expired", "54": "card-expired", "36": "card-frozen", "57": "card-frozen", "62": "card-frozen",
  "38": "pin-tries-exceeded", "75": "pin-tries-exceeded", "55": "pin-wrong", "45": "use-chip", "51": "insufficient-funds",
  "59": "risk-control", "61": "over-limit", "65": "over-limit", "91": "issuer-unavailable", "92": "issuer-unavailable",
  "98": "issuer-unavailable", "90": "outside-service-hours", "96": "host-system-fault", "68": "host-timeout",
  "94": "data-corrupted", "97": "terminal-not-registered", "A0": "host-mac-error", "99": "host-mac-error",
};

/** Activation answers of this project's profile (docs/cup-profile.md). */
const ACTIVATION_CAUSE: { readonly [code: string]: string } = {
  A1: "activation-code-wrong", A2: "activation-revoked", A3: "merchant-not-qualified", A4: "activation-code-used",
  "97": "device-not-registered", "90": "host-maintenance", "96": "host-maintenance",
};

function weak(m: ModemEvidence | undefined): boolean {
  return m !== undefined && m.dbm !== undefined && m.dbm < WEAK_SIGNAL_DBM;
}

/** The link manager's diagnoses (hal/link/errors.ts) -> causes. */
const LINK_CAUSE: { readonly [code: string]: string } = {
  E_LINK_NO_SIM: "sim-missing", E_LINK_SIM_LOCKED: "sim-locked", E_LINK_SIM_FAILURE: "sim-invalid", E_LINK_ESIM_FAILURE: "sim-invalid",
  E_LINK_REG_DENIED: "sim-arrears", E_LINK_NO_SIGNAL: "no-signal", E_LINK_WEAK_SIGNAL: "weak-signal", E_LINK_NO_SERVICE: "no-signal",
  E_LINK_PDP_FAILED: "data-context-failed", E_LINK_HOST_UNREACHABLE: "host-unreachable", E_LINK_MODEM_FAILURE: "modem-fault",
  E_LINK_LINE_BUSY: "line-busy", E_LINK_NO_DIALTONE: "line-no-dialtone", E_LINK_NO_ANSWER: "line-no-answer", E_LINK_NO_CARRIER: "line-no-answer",
  E_LINK_NOT_CONFIGURED: "no-link",
};

function errorCause(code: string, e: Evidence): string {
  const m = e.modem;
  // A connection failure: the link manager already named the link's cause.
  const link = LINK_CAUSE[code] ?? (e.linkCode !== undefined && /^E_HOST_(UNREACHABLE|SEND|CLOSED)$/.test(code) ? LINK_CAUSE[e.linkCode] : undefined);
  if (link !== undefined) {
    if (link === "host-unreachable" && weak(m)) return "weak-signal";
    return link;
  }
  if (code === "E_SIM_NOT_INSERTED") return "sim-missing";
  if (/^E_SIM_(PIN|PUK|LOCKED)/.test(code)) return "sim-locked";
  if (code === "E_SIM_WRONG" || code === "E_SIM_FAILURE") return "sim-invalid";
  if (code === "E_REG_DENIED" || m?.stat === 3) return "sim-arrears";
  if (code === "E_NO_SIGNAL" || (m?.csq === 99 && /^E_(REG|SOCKET|HOST|PDP)/.test(code))) return "no-signal";
  if (code === "E_REG_TIMEOUT") return weak(m) ? "weak-signal" : "no-signal";
  if (code === "E_PDP_FAILED") return weak(m) ? "weak-signal" : "data-context-failed";
  if (/NO_DIALTONE/.test(code)) return "line-no-dialtone";
  if (/(^E_BUSY$|DIAL_BUSY)/.test(code)) return "line-busy";
  if (/(NO_ANSWER|NO_CARRIER)/.test(code)) return "line-no-answer";
  if (code === "E_SOCKET_CONNECT" || code === "E_HOST_UNREACHABLE") return weak(m) ? "weak-signal" : "host-unreachable";
  if (/^E_(SOCKET_TIMEOUT|HOST_TIMEOUT|TIMEOUT)$/.test(code)) return weak(m) ? "weak-signal" : "host-timeout";
  if (/^E_(MAC_MISMATCH|8583_|MSG_|RESPONSE_FORMAT|SOCKET_CLOSED|SOCKET_READ|SOCKET_SEND|HOST_CLOSED|HOST_SEND|MODEM_RESET)/.test(code)) return "data-corrupted";
  if (code === "E_NOT_ACTIVATED") return "not-activated";
  if (/TERMINAL_ID/.test(code)) return "terminal-id-format";
  if (/MERCHANT_ID/.test(code)) return "merchant-id-format";
  if (code === "E_KCV_MISMATCH") return "keys-wrong";
  if (code === "E_KEY_MISSING" || code === "E_NOT_SIGNED_IN") return "keys-missing";
  if (code === "E_USE_CHIP") return "use-chip";
  if (/^E_(CARD_MUTE|CARD_REMOVED|CARD_TIMEOUT|ATR_|ATS|APDU|SWIPE_READ|TRACK[12]_)/.test(code)) return "card-read-error";
  if (code === "E_PRINTER_PAPER_OUT") return "printer-paper-out";
  if (code === "E_PRINTER_COVER_OPEN") return "printer-cover-open";
  if (code === "E_PRINTER_OVERHEAT") return "printer-overheat";
  if (/^E_PRINTER_(FAULT|TIMEOUT)$/.test(code)) return "printer-fault";
  if (code === "E_JOURNAL_FULL") return "journal-full";
  if (code === "E_CLOCK" || code === "E_CLOCK_WRONG") return "clock-wrong";
  if (/^E_(CARD_READER|NO_CARD_READER|CARD_BUSY)$/.test(code)) return "card-reader-fault";
  if (/^E_(STORE_|FLASH_)/.test(code)) return "flash-fault";
  if (/^E_(PED|KEY_SLOT)/.test(code)) return "ped-fault";
  return "unknown";
}

/** Names the cause of a failure. */
export function diagnose(e: Evidence): Diagnosis {
  const lines: string[] = [];
  let id: string;
  let code: string;
  if (e.responseCode !== undefined) {
    const rc = responseCode(e.responseCode);
    code = `39=${rc.code}`;
    lines.push(`应答码 ${rc.code} ${rc.zh} / ${rc.en}`);
    const act = e.operation === "activation" ? ACTIVATION_CAUSE[e.responseCode] : undefined;
    id = act ?? RESPONSE_CAUSE[e.responseCode] ?? (rc.known ? "host-declined" : "unknown-response");
  } else {
    code = e.error ?? "E_UNKNOWN";
    id = errorCause(code, e);
    lines.push(`错误 ${code}`);
  }
  // Setup state explains more than a communication symptom.
  if (e.activated === false && (id === "unknown" || e.operation === "sign-in" || e.operation === "sale")) id = "not-activated";
  else if (e.keysPresent === false && e.operation !== "activation" && e.operation !== "sign-in" && id === "host-mac-error") id = "keys-missing";
  const m = e.modem;
  if (m) {
    if (m.cpin !== undefined) lines.push(`SIM ${m.cpin}`);
    if (m.dbm !== undefined || m.csq !== undefined) lines.push(`信号 ${m.dbm !== undefined ? m.dbm + " dBm" : "未知"} (CSQ ${m.csq ?? "?"})`);
    if (m.stat !== undefined) lines.push(`注册状态 ${m.stat}${m.stat === 3 ? " 被拒绝" : m.stat === 1 || m.stat === 5 ? " 已注册" : ""}`);
    if (m.operator) lines.push(`运营商 ${m.operator}`);
    if (m.cme !== undefined) lines.push(`CME ${m.cme}`);
  }
  for (const s of e.linkSteps ?? []) lines.push(`链路 ${s}`);
  if (e.clockMs !== undefined && e.clockMs < CLOCK_SANE_MS) {
    lines.push("终端时间异常");
    if (id === "unknown") id = "clock-wrong";
  }
  if (e.lastHostContactMs !== undefined) lines.push(e.lastHostContactMs ? `上次连通中心 ${new Date(e.lastHostContactMs).toISOString().slice(0, 16).replace("T", " ")}` : "从未连通中心");
  return { cause: cause(id), code, evidence: lines };
}

/** One step of the link manager's diagnostic log (hal/link/log.ts), as far as the diagnosis reads it. */
export interface LinkStep {
  link: string;
  step: string;
  outcome: string;
  code?: string;
  detail: string;
}

function num(detail: string, key: string): number | undefined {
  const m = new RegExp("(?:^| )" + key + "=(-?\\d+)").exec(detail);
  return m ? Number(m[1]) : undefined;
}

/**
 * What a failure carries beyond its code: the link's own diagnosis (ExchangeError.linkCode) and, from the link
 * log's failed steps since the last connection attempt, the 4G module's evidence (SIM state, CSQ/dBm,
 * registration stat, CME) and the steps that failed.
 */
export function failureEvidence(e: unknown, steps: readonly LinkStep[]): Pick<Evidence, "linkCode" | "modem" | "linkSteps"> {
  const out: Pick<Evidence, "linkCode" | "modem" | "linkSteps"> = {};
  const lc = e !== null && typeof e === "object" ? (e as { linkCode?: unknown }).linkCode : undefined;
  if (typeof lc === "string") out.linkCode = lc;
  const c = e !== null && typeof e === "object" ? (e as { code?: unknown }).code : undefined;
  // Only a failure of the connection itself carries the link's evidence.
  if (out.linkCode === undefined && !(typeof c === "string" && /^E_(LINK_|HOST_|SOCKET_|REG_|SIM_|PDP_|NO_SIGNAL)/.test(c))) return out;
  // The steps of the last connection attempt: after the last "link connect".
  let from = 0;
  for (let i = steps.length - 1; i >= 0; i--)
    if (steps[i]!.link === "link" && steps[i]!.step === "connect") {
      from = i;
      break;
    }
  const m: ModemEvidence = {};
  let any = false;
  const failed: string[] = [];
  for (let i = from; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.outcome !== "fail") continue;
    failed.push(`${s.link} ${s.step} ${s.code ?? ""}`.trim());
    if (s.link !== "cellular") continue;
    const d = s.detail;
    const csq = num(d, "csq");
    const dbm = num(d, "dbm");
    const stat = num(d, "stat");
    const cme = num(d, "cme");
    const cpin = /(?:^| )cpin=([A-Z ]+?)(?= [a-z]+=|$)/.exec(d);
    if (csq !== undefined) (m.csq = csq), (any = true);
    if (dbm !== undefined) (m.dbm = dbm), (any = true);
    if (stat !== undefined) (m.stat = stat), (any = true);
    if (cme !== undefined) (m.cme = cme), (any = true);
    if (cpin) (m.cpin = cpin[1]), (any = true);
  }
  if (any) out.modem = m;
  if (failed.length) out.linkSteps = failed.slice(-4);
  return out;
}
