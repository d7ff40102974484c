/**
 *   npm run build                     every board's image (and the on-target test bundle)
 *   npm run build -- --board sim      one board
 */
import { allImages, buildImage, formatReport, imagesFor, type ImageSpec } from "./build.ts";

const argv = process.argv.slice(2);
const i = argv.indexOf("--board");
let specs: ImageSpec[];
try {
  specs = i >= 0 ? imagesFor(argv[i + 1] ?? "") : allImages();
} catch (e) {
  console.error(`build: ${(e as Error).message}`);
  process.exit(2);
}
let failed = 0;
for (const spec of specs) {
  try {
    console.log("build " + formatReport(await buildImage(spec)));
  } catch (e) {
    failed++;
    console.error(`build FAILED ${spec.outfile}: ${(e as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
