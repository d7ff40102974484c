/** The on-target test bundle (dist/ontarget/tests.js): every spec below, then one summary line. */
import { runAll } from "./harness";
import "./boot.spec";

void runAll();
