/** Firmware entry: the board's natives and description in, the app started. */
import { natives } from "../hal/native";
import { device } from "../hal/device";
import { createHal } from "../hal/index";
import { startApp } from "./app/start";

void startApp(createHal(natives, device));
