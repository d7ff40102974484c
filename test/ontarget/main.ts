/** The on-target test bundle (dist/ontarget/tests.js): every spec below, then one summary line. */
import { runAll } from "./harness";
import "./boot.spec";
import "./core-ciphers.spec";
import "./core-mac.spec";
import "./core-iso8583.spec";
import "./core-tlv.spec";
import "./emv.spec";
import "./txn-e2e.spec";

void runAll();
