/** Build define (build/build.ts): true on boards whose board.json has `"agent": true` (sim, HIL images). */
declare const __AGENT__: boolean;
