/** Engine entry (update.test.ts): times the signature check and the full image check of slot A inside the engine. */
import { natives } from "../../hal/native";
import { device } from "../../hal/device";
import { createHal } from "../../hal/index";
import { PREFIX_BYTES, verifyImageInFlash, verifyPrefix } from "../../firmware/update/image";
import { updateConfig } from "../../firmware/update/updater";

const hal = createHal(natives, device);
const cfg = updateConfig(device)!;
const base = device.flash.partitions.slotA!.first * device.flash.sectorSize;
const policy = { board: device.name, keys: cfg.keys, minSecurityVersion: 1, maxBundleBytes: 400000 };
const prefix = hal.flash.read(base, PREFIX_BYTES);
let t0 = hal.time.monotonic();
verifyPrefix(prefix, policy); // first: builds the key (R^2 mod n)
const firstMs = hal.time.monotonic() - t0;
const n = 5;
t0 = hal.time.monotonic();
for (let i = 0; i < n; i++) verifyPrefix(prefix, policy);
const verifyMs = (hal.time.monotonic() - t0) / n;
t0 = hal.time.monotonic();
const h = verifyImageInFlash(hal.flash, base, policy);
const imageMs = hal.time.monotonic() - t0;
let refused = "none";
const bad = prefix.slice();
bad[30] = bad[30]! ^ 1;
try {
  verifyPrefix(bad, policy);
} catch (e) {
  refused = (e as { code?: string }).code ?? "?";
}
hal.log.info("R verify " + JSON.stringify({ firstMs, verifyMs, imageMs, bytes: h.length, refused }));
hal.system.exit(0);
