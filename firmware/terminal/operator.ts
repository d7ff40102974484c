/**
 * Operators (操作员): offline sign-in with an operator number and password; the supervisor (主管, number "00")
 * authorizes void, refund and settlement. Operators are kept in the store with salted, stretched password hashes.
 *
 * Hash scheme (the core has no SHA; AES-128 is there): Matyas–Meyer–Oseas over AES-128, iterated —
 *   m  = 16-byte block: operator number ‖ 0x3A ‖ password ‖ 0x80 ‖ zeros
 *   h0 = 16 random bytes of salt (the board's RNG)
 *   h(i+1) = AES_{h(i)}(m) XOR m          for i < ROUNDS (512)
 * and (salt, h(ROUNDS)) is stored. It is one-way (a block cipher keyed by the chaining value, fed forward) and
 * salted per operator. Stated limit: passwords are 4–6 digits (10^4..10^6 values), so a person with the flash
 * image can still try them all offline; the stretching only makes each try cost ROUNDS AES key schedules. The
 * real protection of money is the supervisor password being needed on the terminal and the host's own checks.
 *
 * Defaults on a new terminal (as Chinese POS ship them): supervisor "00" / "123456", operator "01" / "0000".
 * Errors: E_OPERATOR_UNKNOWN, E_OPERATOR_PASSWORD, E_OPERATOR_INPUT, E_OPERATOR_RIGHTS, E_OPERATOR_LOCKED.
 */
import { CoreError } from "../core/errors";
import { aesCipher } from "../core/aes";
import { constantTimeEqual } from "../core/bytes";
import type { FlashLog } from "../store/flash-log";
import { RecordReader, RecordWriter } from "../txn/record-codec";
import { KEY_OPERATORS } from "./storage";

export const SUPERVISOR = "00";
export const HASH_ROUNDS = 512;
const VERSION = 1;
/** Wrong passwords in a row before an operator is locked until the supervisor resets it. */
export const MAX_WRONG_PASSWORDS = 5;

export interface OperatorRecord {
  no: string;
  salt: Uint8Array;
  hash: Uint8Array;
  wrong: number;
}

function isDigits(s: unknown, min: number, max: number): s is string {
  return typeof s === "string" && s.length >= min && s.length <= max && /^[0-9]+$/.test(s);
}

/** The stretched hash of (no, password) under `salt`. */
export function operatorHash(no: string, password: string, salt: Uint8Array, rounds = HASH_ROUNDS): Uint8Array {
  const m = new Uint8Array(16);
  let p = 0;
  for (let i = 0; i < no.length; i++) m[p++] = no.charCodeAt(i);
  m[p++] = 0x3a;
  for (let i = 0; i < password.length; i++) m[p++] = password.charCodeAt(i);
  m[p] = 0x80;
  const h = salt.slice(0, 16);
  const t = new Uint8Array(16);
  for (let r = 0; r < rounds; r++) {
    aesCipher(h).encryptBlock(m, 0, t, 0);
    for (let i = 0; i < 16; i++) h[i] = t[i]! ^ m[i]!;
  }
  m.fill(0);
  return h;
}

export interface OperatorSession {
  no: string;
  supervisor: boolean;
}

export class Operators {
  private list: OperatorRecord[] = [];
  /** The operator signed in (RAM only: a reboot signs the operator out). */
  current: OperatorSession | undefined;

  constructor(private readonly store: FlashLog, private readonly random: (into: Uint8Array) => void) {
    const b = store.get(KEY_OPERATORS);
    if (b) this.list = decode(b);
    else {
      this.list = [this.make(SUPERVISOR, "123456"), this.make("01", "0000")];
      this.save();
    }
  }

  private make(no: string, password: string): OperatorRecord {
    const salt = new Uint8Array(16);
    this.random(salt);
    return { no, salt, hash: operatorHash(no, password, salt), wrong: 0 };
  }

  private save(): void {
    this.store.put(KEY_OPERATORS, encode(this.list));
  }

  private find(no: string): OperatorRecord | undefined {
    for (const o of this.list) if (o.no === no) return o;
    return undefined;
  }

  /** Operator numbers, supervisor first. */
  numbers(): string[] {
    return this.list.map((o) => o.no);
  }

  /** Checks a password without signing in (the supervisor's authorization of a void/refund/settlement). */
  check(no: string, password: string): void {
    if (!isDigits(no, 2, 2)) throw new CoreError("E_OPERATOR_INPUT", `操作员号应为2位数字 / operator number must be 2 digits, got ${JSON.stringify(no)}`);
    if (!isDigits(password, 4, 12)) throw new CoreError("E_OPERATOR_INPUT", "密码应为4到12位数字 / password must be 4..12 digits");
    const o = this.find(no);
    if (!o) throw new CoreError("E_OPERATOR_UNKNOWN", `操作员${no}不存在 / no operator ${no}`);
    if (o.wrong >= MAX_WRONG_PASSWORDS) throw new CoreError("E_OPERATOR_LOCKED", `操作员${no}已锁定，请主管重置 / operator ${no} is locked after ${o.wrong} wrong passwords`);
    if (!constantTimeEqual(operatorHash(no, password, o.salt), o.hash)) {
      o.wrong++;
      this.save();
      throw new CoreError("E_OPERATOR_PASSWORD", `密码错误 / wrong password for operator ${no} (${o.wrong} of ${MAX_WRONG_PASSWORDS})`);
    }
    if (o.wrong) {
      o.wrong = 0;
      this.save();
    }
  }

  /** 操作员签到 (offline). */
  signIn(no: string, password: string): OperatorSession {
    this.check(no, password);
    this.current = { no, supervisor: no === SUPERVISOR };
    return this.current;
  }

  signOut(): void {
    this.current = undefined;
  }

  /** Supervisor rights: the signed-in supervisor, or the supervisor's password given now. */
  authorize(what: string, supervisorPassword?: string): void {
    if (this.current && this.current.supervisor) return;
    if (supervisorPassword === undefined) throw new CoreError("E_OPERATOR_RIGHTS", `${what}需要主管密码 / ${what} needs the supervisor's password`);
    this.check(SUPERVISOR, supervisorPassword);
  }

  /** Adds or replaces an operator (supervisor only). */
  set(no: string, password: string, supervisorPassword?: string): void {
    this.authorize("设置操作员 / setting an operator", supervisorPassword);
    if (!isDigits(no, 2, 2)) throw new CoreError("E_OPERATOR_INPUT", `操作员号应为2位数字 / operator number must be 2 digits, got ${JSON.stringify(no)}`);
    if (!isDigits(password, no === SUPERVISOR ? 6 : 4, 12)) throw new CoreError("E_OPERATOR_INPUT", `密码位数不对 / password must be ${no === SUPERVISOR ? 6 : 4}..12 digits`);
    const rec = this.make(no, password);
    const i = this.list.findIndex((o) => o.no === no);
    if (i >= 0) this.list[i] = rec;
    else this.list.push(rec);
    this.save();
  }
}

function encode(list: OperatorRecord[]): Uint8Array {
  const w = new RecordWriter(64 * list.length + 4);
  w.u8(VERSION).u8(list.length);
  for (const o of list) w.str(o.no).bytes(o.salt).bytes(o.hash).u8(o.wrong);
  return w.finish();
}

function decode(b: Uint8Array): OperatorRecord[] {
  try {
    const r = new RecordReader(b);
    if (r.u8() !== VERSION) throw new CoreError("E_OPERATOR_RECORD", "operator record of another version");
    const n = r.u8();
    const out: OperatorRecord[] = [];
    for (let i = 0; i < n; i++) out.push({ no: r.str(), salt: r.bytes(), hash: r.bytes(), wrong: r.u8() });
    return out;
  } catch (e) {
    throw new CoreError("E_OPERATOR_RECORD", `stored operators do not decode: ${(e as Error).message}`);
  }
}
