/**
 * Update images: signed by build/sign.ts (node:crypto), checked by the firmware's own code (RSA without BigInt,
 * SHA-256) and cross-checked with node:crypto; every tamper kind refused with its typed error; the boot-control
 * record ring survives torn writes; the simulator's loader picks, trials and rolls back slots.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateKeyPairSync, createPrivateKey, createPublicKey, verify, constants } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, loadBoard } from "../../../build/board.ts";
import { signImage, nodeVerifyImage, modulusHex } from "../../../build/sign.ts";
import { HEADER_BYTES, PREFIX_BYTES, verifyPrefix, verifyImageInFlash, verifyPkcs1Sha256, type UpdatePolicy } from "../../../firmware/update/image.ts";
import { RsaPublicKey } from "../../../firmware/core/rsa.ts";
import { BootControlStore, NO_SLOT } from "../../../firmware/update/bootctl.ts";
import { SimFlash } from "../../../boards/sim/devices/flash.ts";
import { SimBootLoader, installImage, keyFromModulus } from "../../../boards/sim/boot/loader.ts";
import { throwsCode, rng } from "../../support.ts";

const board = loadBoard("sim");
const upd = (board as unknown as { update: { keys: Array<{ id: number; modulus: string; exponent: number }> } }).update;
const testKeyPem = readFileSync(join(ROOT, "boards/sim/keys/update-test-key.pem"), "utf8");
const bundle = new TextEncoder().encode("print('firmware under test');".repeat(300));
const policy: UpdatePolicy = { board: "sim", keys: upd.keys, minSecurityVersion: 2, maxBundleBytes: 100 * 4096 - PREFIX_BYTES };
const good = () => signImage({ bundle, key: testKeyPem, board: "sim", version: "0.2.0", securityVersion: 3, keyId: 1 });

test("the committed test key is the one board.json lists (key id 1)", () => {
  assert.is(modulusHex(createPublicKey(createPrivateKey(testKeyPem))), upd.keys[0]!.modulus);
});

test("a good image verifies in the firmware's code and in node:crypto; the PKCS#1 check agrees with node on random signatures", () => {
  const img = good();
  const h = verifyPrefix(img, policy);
  assert.equal([h.board, h.version, h.securityVersion, h.length], ["sim", "0.2.0", 3, bundle.length]);
  assert.ok(nodeVerifyImage(img, keyFromModulus(upd.keys[0]!.modulus, 65537)));
  const key = new RsaPublicKey(Buffer.from(upd.keys[0]!.modulus, "hex"), 65537, 256);
  const pub = createPublicKey(createPrivateKey(testKeyPem));
  const r = rng(7);
  for (let i = 0; i < 20; i++) {
    const sig = img.slice(HEADER_BYTES, PREFIX_BYTES);
    if (i > 0) sig[Math.floor(r() * 256)]! ^= 1 << Math.floor(r() * 8);
    const header = img.subarray(0, HEADER_BYTES);
    const node = verify("sha256", header, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig);
    assert.is(verifyPkcs1Sha256(key, header, sig), node, `signature ${i}`);
    assert.is(node, i === 0);
  }
});

test("tampered images are refused with typed errors: header byte, bundle byte, wrong key, unknown key, truncated, wrong board, rollback", () => {
  // a changed header byte (the version): the signature no longer verifies
  const h = good();
  h[30]! ^= 0x01;
  throwsCode(() => verifyPrefix(h, policy), "E_UPDATE_SIGNATURE");
  // a changed bundle byte: the prefix verifies, the digest of the flash copy does not
  const b = good();
  b[PREFIX_BYTES + 1000]! ^= 0x20;
  verifyPrefix(b, policy);
  const flash = new SimFlash(4096, 400);
  installImage(flash, board, 1, b);
  throwsCode(() => verifyImageInFlash(flash, board.flash.partitions.slotB!.first * 4096, policy), "E_UPDATE_DIGEST");
  // signed with another key under the same key id
  const other = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  throwsCode(() => verifyPrefix(signImage({ bundle, key: other.privateKey, board: "sim", version: "0.2.0", securityVersion: 3, keyId: 1 }), policy), "E_UPDATE_SIGNATURE");
  // a key id the terminal does not hold
  throwsCode(() => verifyPrefix(signImage({ bundle, key: other.privateKey, board: "sim", version: "0.2.0", securityVersion: 3, keyId: 9 }), policy), "E_UPDATE_KEY");
  // truncated prefix
  throwsCode(() => verifyPrefix(good().subarray(0, PREFIX_BYTES - 1), policy), "E_UPDATE_TRUNCATED");
  // truncated bundle in flash: the digest over the header's length reads erased bytes
  const t = good();
  const f2 = new SimFlash(4096, 400);
  installImage(f2, board, 0, t.subarray(0, t.length - 100));
  throwsCode(() => verifyImageInFlash(f2, board.flash.partitions.slotA!.first * 4096, policy), "E_UPDATE_DIGEST");
  // another board, a security version below the minimum, too big for a slot
  throwsCode(() => verifyPrefix(signImage({ bundle, key: testKeyPem, board: "linux", version: "0.2.0", securityVersion: 3, keyId: 1 }), policy), "E_UPDATE_BOARD");
  throwsCode(() => verifyPrefix(signImage({ bundle, key: testKeyPem, board: "sim", version: "0.0.9", securityVersion: 1, keyId: 1 }), policy), "E_UPDATE_ROLLBACK");
  throwsCode(() => verifyPrefix(good(), { ...policy, maxBundleBytes: 100 }), "E_UPDATE_SIZE");
  // not an image at all
  throwsCode(() => verifyPrefix(new Uint8Array(PREFIX_BYTES), policy), "E_UPDATE_HEADER");
});

test("boot-control record: the newest copy wins, a torn write leaves the previous one, the ring wraps across both sectors", () => {
  const part = board.flash.partitions.boot!;
  const r = rng(11);
  let survived = 0;
  for (let round = 0; round < 60; round++) {
    const flash = new SimFlash(4096, 400);
    const store = new BootControlStore(flash, part);
    let last = -1;
    const writes = 100 + Math.floor(r() * 300);
    const cutAt = Math.floor(r() * writes);
    for (let i = 0; i < writes; i++) {
      if (i === cutAt) flash.scheduleCut({ atOperation: 1, landedBytes: Math.floor(r() * 32) });
      store.write({ active: 0, pending: NO_SLOT, attempts: i & 0xff, maxAttempts: 3, booted: 0, flags: 0, minSecurityVersion: i });
      if (flash.takePowerCut()) {
        // after the cut, a fresh reader (a reboot) sees the last complete copy (or the torn one if it all landed)
        const got = new BootControlStore(flash, part).read();
        assert.ok(got && (got.minSecurityVersion === last || got.minSecurityVersion === i), `round ${round}: ${got?.minSecurityVersion} vs ${last}`);
        survived++;
        break;
      }
      last = i;
    }
    if (cutAt >= writes) assert.is(new BootControlStore(flash, part).read()!.minSecurityVersion, writes - 1);
  }
  assert.ok(survived > 40, `cuts ${survived}`);
});

test("loader: boots the factory slot, trials a staged slot, rolls back after maxAttempts, refuses a damaged slot", () => {
  const flash = new SimFlash(board.flash.sectorSize, board.flash.sectorCount);
  const v1 = signImage({ bundle: new TextEncoder().encode("/*v1*/"), key: testKeyPem, board: "sim", version: "0.1.0", securityVersion: 1, keyId: 1 });
  const v2 = signImage({ bundle: new TextEncoder().encode("/*v2*/"), key: testKeyPem, board: "sim", version: "0.2.0", securityVersion: 2, keyId: 1 });
  installImage(flash, board, 0, v1);
  const loader = new SimBootLoader(flash, board);
  assert.is(loader.choose().version, "0.1.0");
  installImage(flash, board, 1, v2);
  const c = loader.store.read()!;
  loader.store.write({ ...c, pending: 1, attempts: 0 });
  for (let i = 1; i <= 3; i++) assert.equal([loader.choose().version, loader.store.read()!.attempts], ["0.2.0", i]);
  const back = loader.choose();
  assert.equal([back.version, back.slot, loader.rollbacks], ["0.1.0", 0, 1]);
  assert.is(loader.store.read()!.pending, NO_SLOT);
  // a damaged active slot: the loader starts the other valid one instead of the damaged bytes
  flash.program(board.flash.partitions.slotA!.first * 4096 + PREFIX_BYTES + 2, new Uint8Array([0]));
  assert.is(loader.choose().version, "0.2.0");
});

test.run();
