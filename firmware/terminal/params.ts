/**
 * The terminal's identity and parameters (docs/cup-profile.md: every value of the profile is a parameter), checked
 * when they are entered or received and kept power-fail safe in the store.
 *
 * Validation errors are ParamError (a CoreError) with a code per parameter and a message in Chinese and English
 * that says what is wrong (length, characters, range) and what was given:
 *   E_PARAM_TERMINAL_ID (8 characters, digits/letters), E_PARAM_MERCHANT_ID (15), E_PARAM_MERCHANT_NAME,
 *   E_PARAM_HOST, E_PARAM_PORT, E_PARAM_APN, E_PARAM_TIMEOUT, E_PARAM_TPDU, E_PARAM_HEADER, E_PARAM_SIGNIN_CODE,
 *   E_PARAM_RANGE (retries, PIN length, journal capacity), E_PARAM_CODE (response-code lists), E_PARAM_RECORD (a
 *   stored record that does not decode).
 */
import { CoreError } from "../core/errors";
import type { FlashLog } from "../store/flash-log";
import type { SignInCode } from "../cup/messages";
import { RecordReader, RecordWriter } from "../txn/record-codec";
import { KEY_PARAMS, MAX_JOURNAL_SLOTS } from "./storage";

export class ParamError extends CoreError {
  constructor(code: string, readonly param: string, message: string) {
    super(code, message);
    this.name = "ParamError";
  }
}

export interface TerminalParams {
  /** 受卡机终端标识码 (field 41): 8 characters. "" until activation. */
  terminalId: string;
  /** 受卡方标识码 (field 42): 15 characters. "" until activation. */
  merchantId: string;
  /** 商户名称 for the slip. */
  merchantName: string;
  /** Acquirer host: IPv4 address or host name, and TCP port. */
  hostAddress: string;
  hostPort: number;
  /** 4G access point name. */
  apn: string;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** 10 digits (5 BCD bytes), e.g. 6000030000. */
  tpdu: string;
  /** 12 digits (6 BCD bytes), e.g. 603100310001. */
  header: string;
  /** 60.3 of the sign-in: 001 single-length keys, 003 double, 004 double + TDK. */
  signInCode: SignInCode;
  /** Reversal tries per connection attempt before it is kept for later (profile: 3). */
  reversalRetries: number;
  /** Field 26 and the PED's maximum PIN length. */
  pinMaxLength: number;
  /** Host answers (field 39) after which a reversible transaction is also reversed. */
  reverseOnCodes: string[];
  /** 60.3 of the batch-upload end after an unbalanced settlement (202, or 207 for some acquirers). */
  batchUploadEndCode: string;
  /** Journal records kept for the open batch. */
  journalCapacity: number;
  /** Set once the activation succeeded (TMK in the PED, identity assigned). */
  activated: boolean;
  /** Offline sales (store-and-forward) allowed up to this amount in fen without a chip's offline approval; 0 = none. */
  offlineFloorLimit: number;
  /** Sign in again on its own after the sign-out that follows a settlement (false: the operator signs in). */
  autoSignIn: boolean;
}

export const DEFAULT_PARAMS: TerminalParams = {
  terminalId: "",
  merchantId: "",
  merchantName: "",
  hostAddress: "127.0.0.1",
  hostPort: 6000,
  apn: "cmnet",
  connectTimeoutMs: 10000,
  responseTimeoutMs: 60000,
  tpdu: "6000030000",
  header: "603100310001",
  signInCode: "003",
  reversalRetries: 3,
  pinMaxLength: 6,
  reverseOnCodes: ["98"],
  batchUploadEndCode: "202",
  journalCapacity: 300,
  activated: false,
  offlineFloorLimit: 0,
  autoSignIn: true,
};

function bad(code: string, param: string, zh: string, en: string): never {
  throw new ParamError(code, param, `${zh} / ${en}`);
}

function shown(v: unknown): string {
  const s = typeof v === "string" ? v : String(v);
  return s.length > 40 ? JSON.stringify(s.substring(0, 40)) + "…" : JSON.stringify(s);
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** An identity number: exactly `len` ASCII digits or letters. */
function checkIdNumber(v: unknown, len: number, code: string, param: string, zhName: string, enName: string): string {
  if (typeof v !== "string") bad(code, param, `${zhName}必须是文本`, `${enName} must be text, got ${typeof v}`);
  if (v.length !== len) bad(code, param, `${zhName}应为${len}位，输入了${v.length}位 ${shown(v)}`, `${enName} must be ${len} characters, got ${v.length}: ${shown(v)}`);
  for (let i = 0; i < v.length; i++)
    if (!isAlnum(v.charCodeAt(i)))
      bad(code, param, `${zhName}只能包含数字或字母，第${i + 1}位 ${shown(v.charAt(i))} 无效`, `${enName} may hold only digits and letters: character ${i + 1} ${shown(v.charAt(i))} in ${shown(v)}`);
  return v;
}

export function validateTerminalId(v: unknown): string {
  return checkIdNumber(v, 8, "E_PARAM_TERMINAL_ID", "terminalId", "终端号", "terminal number");
}

export function validateMerchantId(v: unknown): string {
  return checkIdNumber(v, 15, "E_PARAM_MERCHANT_ID", "merchantId", "商户号", "merchant number");
}

function checkDigits(v: unknown, len: number, code: string, param: string, zhName: string, enName: string): string {
  if (typeof v !== "string" || v.length !== len || !/^[0-9]+$/.test(v)) bad(code, param, `${zhName}应为${len}位数字，输入了 ${shown(v)}`, `${enName} must be ${len} digits, got ${shown(v)}`);
  return v;
}

function checkInt(v: unknown, min: number, max: number, code: string, param: string, zhName: string, enName: string): number {
  if (typeof v !== "number" || v !== Math.floor(v) || v < min || v > max) bad(code, param, `${zhName}应在${min}到${max}之间，输入了 ${shown(v)}`, `${enName} must be an integer ${min}..${max}, got ${shown(v)}`);
  return v;
}

function checkHost(v: unknown): string {
  if (typeof v !== "string" || v.length < 1 || v.length > 64) bad("E_PARAM_HOST", "hostAddress", `主机地址应为1到64个字符，输入了 ${shown(v)}`, `host address must be 1..64 characters, got ${shown(v)}`);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!(isAlnum(c) || c === 46 || c === 45))
      bad("E_PARAM_HOST", "hostAddress", `主机地址第${i + 1}位 ${shown(v.charAt(i))} 无效（只能是字母、数字、点、连字符）`, `host address may hold letters, digits, '.' and '-': character ${i + 1} ${shown(v.charAt(i))} in ${shown(v)}`);
  }
  return v;
}

function checkApn(v: unknown): string {
  if (typeof v !== "string" || v.length > 62 || !/^[A-Za-z0-9.\-]*$/.test(v)) bad("E_PARAM_APN", "apn", `APN最多62个字符（字母、数字、点、连字符），输入了 ${shown(v)}`, `APN must be up to 62 letters, digits, '.' or '-', got ${shown(v)}`);
  return v;
}

function checkCodes(v: unknown): string[] {
  if (!Array.isArray(v)) bad("E_PARAM_CODE", "reverseOnCodes", "应答码列表无效", "response code list must be an array");
  const out: string[] = [];
  for (const c of v) {
    if (typeof c !== "string" || c.length !== 2) bad("E_PARAM_CODE", "reverseOnCodes", `应答码应为2个字符，输入了 ${shown(c)}`, `response codes are 2 characters, got ${shown(c)}`);
    out.push(c);
  }
  return out;
}

/**
 * Checks every parameter of `p` (a full set); returns a clean copy or throws the ParamError of the first bad one.
 * Before activation the terminal and merchant numbers may be empty.
 */
export function validateParams(p: TerminalParams): TerminalParams {
  const q: TerminalParams = { ...p };
  if (q.activated || q.terminalId !== "") validateTerminalId(q.terminalId);
  if (q.activated || q.merchantId !== "") validateMerchantId(q.merchantId);
  if (typeof q.merchantName !== "string" || q.merchantName.length > 40) bad("E_PARAM_MERCHANT_NAME", "merchantName", "商户名称最多40个字", `merchant name must be text of at most 40 characters, got ${shown(q.merchantName)}`);
  checkHost(q.hostAddress);
  checkInt(q.hostPort, 1, 65535, "E_PARAM_PORT", "hostPort", "端口", "host port");
  checkApn(q.apn);
  checkInt(q.connectTimeoutMs, 1000, 120000, "E_PARAM_TIMEOUT", "connectTimeoutMs", "连接超时(毫秒)", "connect timeout (ms)");
  checkInt(q.responseTimeoutMs, 5000, 180000, "E_PARAM_TIMEOUT", "responseTimeoutMs", "应答超时(毫秒)", "response timeout (ms)");
  checkDigits(q.tpdu, 10, "E_PARAM_TPDU", "tpdu", "TPDU", "TPDU");
  checkDigits(q.header, 12, "E_PARAM_HEADER", "header", "报文头", "header");
  if (q.signInCode !== "001" && q.signInCode !== "003" && q.signInCode !== "004") bad("E_PARAM_SIGNIN_CODE", "signInCode", `签到方式应为001、003或004，输入了 ${shown(q.signInCode)}`, `sign-in code (60.3) must be 001, 003 or 004, got ${shown(q.signInCode)}`);
  checkInt(q.reversalRetries, 1, 9, "E_PARAM_RANGE", "reversalRetries", "冲正次数", "reversal retries");
  checkInt(q.pinMaxLength, 4, 12, "E_PARAM_RANGE", "pinMaxLength", "密码最大长度", "maximum PIN length");
  q.reverseOnCodes = checkCodes(q.reverseOnCodes);
  checkDigits(q.batchUploadEndCode, 3, "E_PARAM_CODE", "batchUploadEndCode", "批上送结束码", "batch upload end code");
  checkInt(q.journalCapacity, 10, MAX_JOURNAL_SLOTS, "E_PARAM_RANGE", "journalCapacity", "流水容量", "journal capacity");
  checkInt(q.offlineFloorLimit, 0, 99999999, "E_PARAM_RANGE", "offlineFloorLimit", "离线限额(分)", "offline floor limit (fen)");
  if (typeof q.autoSignIn !== "boolean") bad("E_PARAM_RANGE", "autoSignIn", "自动签到应为是或否", `autoSignIn must be true or false, got ${shown(q.autoSignIn)}`);
  q.activated = q.activated === true;
  return q;
}

/** Applies `changes` to `base`, validates the result (nothing changes when any value is bad). */
export function mergeParams(base: TerminalParams, changes: Partial<TerminalParams>): TerminalParams {
  const next: TerminalParams = { ...base };
  for (const k in changes) {
    if (!(k in DEFAULT_PARAMS)) bad("E_PARAM_UNKNOWN", k, `未知参数 ${k}`, `unknown parameter ${k}`);
    const v = (changes as Record<string, unknown>)[k];
    if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  }
  return validateParams(next);
}

const PARAMS_VERSION = 1;

export function encodeParams(p: TerminalParams): Uint8Array {
  const w = new RecordWriter(160);
  w.u8(PARAMS_VERSION).u8(p.activated ? 1 : 0).str(p.terminalId).str(p.merchantId).str(p.merchantName).str(p.hostAddress).u16(p.hostPort).str(p.apn);
  w.u32(p.connectTimeoutMs).u32(p.responseTimeoutMs).str(p.tpdu).str(p.header).str(p.signInCode).u8(p.reversalRetries).u8(p.pinMaxLength);
  w.str(p.reverseOnCodes.join(",")).str(p.batchUploadEndCode).u16(p.journalCapacity);
  // Added with the batch functions; a record without them reads the defaults.
  w.u32(p.offlineFloorLimit).u8(p.autoSignIn ? 1 : 0);
  return w.finish();
}

export function decodeParams(b: Uint8Array): TerminalParams {
  try {
    const r = new RecordReader(b);
    if (r.u8() !== PARAMS_VERSION) throw new CoreError("E_PARAM_RECORD", "parameter record of another version");
    const activated = r.u8() === 1;
    const p: TerminalParams = {
      activated,
      terminalId: r.str(),
      merchantId: r.str(),
      merchantName: r.str(),
      hostAddress: r.str(),
      hostPort: r.u16(),
      apn: r.str(),
      connectTimeoutMs: r.u32(),
      responseTimeoutMs: r.u32(),
      tpdu: r.str(),
      header: r.str(),
      signInCode: r.str() as SignInCode,
      reversalRetries: r.u8(),
      pinMaxLength: r.u8(),
      reverseOnCodes: [],
      batchUploadEndCode: "",
      journalCapacity: 0,
      offlineFloorLimit: DEFAULT_PARAMS.offlineFloorLimit,
      autoSignIn: DEFAULT_PARAMS.autoSignIn,
    };
    const codes = r.str();
    p.reverseOnCodes = codes ? codes.split(",") : [];
    p.batchUploadEndCode = r.str();
    p.journalCapacity = r.u16();
    if (r.remaining >= 5) {
      p.offlineFloorLimit = r.u32();
      p.autoSignIn = r.u8() === 1;
    }
    return p;
  } catch (e) {
    if (e instanceof CoreError && e.code === "E_PARAM_RECORD") throw e;
    throw new CoreError("E_PARAM_RECORD", `stored parameters do not decode: ${(e as Error).message}`);
  }
}

/** The stored parameters, or the defaults on a new terminal. */
export function loadParams(store: FlashLog): TerminalParams {
  const b = store.get(KEY_PARAMS);
  return b ? decodeParams(b) : { ...DEFAULT_PARAMS, reverseOnCodes: DEFAULT_PARAMS.reverseOnCodes.slice() };
}

/** The store change that saves `p` (to commit alone or with others). */
export function paramsChange(p: TerminalParams): { key: number; value: Uint8Array } {
  return { key: KEY_PARAMS, value: encodeParams(validateParams(p)) };
}

/** TPDU and header as bytes for the framing. */
export function framingOf(p: TerminalParams): { tpdu: Uint8Array; header: Uint8Array } {
  return { tpdu: bcdBytes(p.tpdu), header: bcdBytes(p.header) };
}

function bcdBytes(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = ((digits.charCodeAt(2 * i) - 48) << 4) | (digits.charCodeAt(2 * i + 1) - 48);
  return out;
}
