/** Boot smoke test on any engine: serial echo, a timer, a flash counter that survives a reboot. */
import { test, equal } from "./harness";
import { createFakeBoard } from "./fake-natives";
import { createHal } from "../../hal/index";
import { device } from "../../hal/device";
import { checkPlumbing } from "../../firmware/app/plumbing";

test("boot: plumbing on first boot (serial echo, timer, flash counter)", async () => {
  const board = createFakeBoard(device.flash.sectorSize, device.flash.sectorCount);
  const r = await board.settle(checkPlumbing(createHal(board.natives, device)));
  equal(r.bootCount, 1, "boot count");
  equal(r.echo, "ok", "echo");
  equal(r.timerMs, 250, "timer");
});

test("boot: the counter survives a reboot (same flash, new board state)", async () => {
  const first = createFakeBoard(device.flash.sectorSize, device.flash.sectorCount);
  await first.settle(checkPlumbing(createHal(first.natives, device)));
  const second = first.reboot();
  const r = await second.settle(checkPlumbing(createHal(second.natives, device)));
  equal(r.bootCount, 2, "boot count after reboot");
});
