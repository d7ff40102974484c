/**
 * Operators (firmware/terminal/operator.ts): the salted, stretched AES-128 Matyas–Meyer–Oseas hash checked against
 * an independent node:crypto computation; defaults on a new store; passwords survive a reboot as hashes only;
 * wrong passwords lock an operator; supervisor authorization; counters and parameters stored the same way.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCipheriv } from "node:crypto";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { FlashLog } from "../../../firmware/store/flash-log.ts";
import { HASH_ROUNDS, MAX_WRONG_PASSWORDS, Operators, operatorHash } from "../../../firmware/terminal/operator.ts";
import { Counters } from "../../../firmware/terminal/counters.ts";
import { DEFAULT_PARAMS, decodeParams, encodeParams, mergeParams } from "../../../firmware/terminal/params.ts";
import { CuttingFlash } from "./node-terminal.ts";

/** h(i+1) = AES_{h(i)}(m) XOR m with node:crypto. */
function reference(no: string, pwd: string, salt: Uint8Array, rounds: number): string {
  const m = Buffer.alloc(16);
  Buffer.from(`${no}:${pwd}`, "latin1").copy(m);
  m[no.length + 1 + pwd.length] = 0x80;
  let h = Buffer.from(salt);
  for (let i = 0; i < rounds; i++) {
    const c = createCipheriv("aes-128-ecb", h, null);
    c.setAutoPadding(false);
    const e = Buffer.concat([c.update(m), c.final()]);
    for (let j = 0; j < 16; j++) e[j]! ^= m[j]!;
    h = e;
  }
  return h.toString("hex");
}

const fresh = () => new FlashLog(new CuttingFlash(new SimFlash(4096, 8)) as unknown as Natives.Flash, 0, 4);
let seq = 0;
const rnd = (b: Uint8Array) => b.forEach((_, i) => (b[i] = (i * 31 + ++seq) & 255));

test("the hash equals an independent AES-128 computation; one costs a few ms in Node", () => {
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
  assert.is(Buffer.from(operatorHash("00", "123456", salt)).toString("hex"), reference("00", "123456", salt, HASH_ROUNDS));
  assert.is(Buffer.from(operatorHash("01", "0000", salt, 3)).toString("hex"), reference("01", "0000", salt, 3));
  const t0 = performance.now();
  operatorHash("01", "0000", salt);
  console.log(`    one operator hash (${HASH_ROUNDS} AES-128 key schedules + blocks): ${(performance.now() - t0).toFixed(1)} ms in Node`);
});

test("defaults, sign-in, reboot, lock after wrong passwords, supervisor rights", () => {
  const log = fresh();
  const ops = new Operators(log, rnd);
  assert.equal(ops.numbers(), ["00", "01"]);
  assert.is(ops.signIn("01", "0000").supervisor, false);
  assert.throws(() => ops.authorize("void"), (e: { code?: string }) => e.code === "E_OPERATOR_RIGHTS");
  ops.authorize("void", "123456");
  const stored = Buffer.from(log.get(0x0103)!);
  assert.ok(!stored.includes(Buffer.from("123456")) && !stored.includes(Buffer.from("0000")), "no password in flash");
  const again = new Operators(log, rnd);
  assert.is(again.current, undefined);
  again.signIn("00", "123456");
  again.set("02", "4321");
  for (let i = 0; i < MAX_WRONG_PASSWORDS; i++) assert.throws(() => again.check("02", "1111"), (e: { code?: string }) => e.code === "E_OPERATOR_PASSWORD");
  const third = new Operators(log, rnd);
  assert.throws(() => third.signIn("02", "4321"), (e: { code?: string }) => e.code === "E_OPERATOR_LOCKED");
  third.signIn("00", "123456");
  third.set("02", "4321");
  assert.is(third.signIn("02", "4321").no, "02");
  assert.throws(() => third.set("03", "12"), (e: { code?: string }) => e.code === "E_OPERATOR_RIGHTS" || e.code === "E_OPERATOR_INPUT");
});

test("counters: STAN wraps 999999 -> 1 and is never reused across reboots; parameters round-trip and validate", () => {
  const log = fresh();
  const c = new Counters(log);
  assert.is(c.take(), 1);
  assert.is(c.take(), 2);
  assert.is(new Counters(log).peek(), 3);
  log.commit([c.consumeChange(999998)]);
  c.consumed(999998);
  assert.is(c.take(), 999999);
  assert.is(c.take(), 1, "wraps to 000001");
  log.commit([c.batchChange(7)]);
  c.batchSet(7);
  const d = new Counters(log);
  assert.equal([d.peek(), d.batch], [2, 7]);
  const p = mergeParams(DEFAULT_PARAMS, { terminalId: "10000001", merchantId: "898100012345678", merchantName: "银联测试商户", hostPort: 9100 });
  assert.equal(decodeParams(encodeParams(p)), p);
  assert.throws(() => mergeParams(p, { terminalId: "1000000" }), (e: { code?: string; param?: string }) => e.code === "E_PARAM_TERMINAL_ID" && e.param === "terminalId");
  assert.throws(() => mergeParams(p, { signInCode: "002" as "001" }), (e: { code?: string }) => e.code === "E_PARAM_SIGNIN_CODE");
  assert.throws(() => mergeParams(p, { responseTimeoutMs: 100 }), (e: { code?: string }) => e.code === "E_PARAM_TIMEOUT");
  assert.throws(() => mergeParams(p, { bogus: 1 } as never), (e: { code?: string }) => e.code === "E_PARAM_UNKNOWN");
  assert.throws(() => decodeParams(new Uint8Array([1, 1, 5])), (e: { code?: string }) => e.code === "E_PARAM_RECORD");
});

test.run();
