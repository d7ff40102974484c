/** Engine tests run against the built bundles; build them once per process if missing or stale. */
import { imagesFor, buildImage } from "../../build/build.ts";

let built: Promise<void> | undefined;
export function ensureBuilt(): Promise<void> {
  return (built ??= (async () => {
    for (const board of ["sim", "ontarget"]) for (const spec of imagesFor(board)) await buildImage(spec);
  })());
}
