/** hal/at/lines.ts: CR/LF framing, the `> ` prompt, raw blocks after a header line, overlong lines; byte-level fuzz. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LineScanner, type LineSink } from "../../hal/at/lines.ts";

type Ev = { t: "line"; s: string } | { t: "prompt" } | { t: "data"; hex: string };

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A sink that records events; a `+QIRD: n` / `+DATA: n` line arms a raw block of n bytes. */
function recorder(scanner: () => LineScanner): { events: Ev[]; sink: LineSink } {
  const events: Ev[] = [];
  return {
    events,
    sink: {
      line(s) {
        events.push({ t: "line", s });
        const m = /^\+(?:QIRD|DATA): (\d+)$/.exec(s);
        if (m) scanner().expectData(Number(m[1]));
      },
      prompt: () => events.push({ t: "prompt" }),
      data: (b) => events.push({ t: "data", hex: hex(b) }),
    },
  };
}

function scan(input: string | Uint8Array, opts: { armPrompt?: boolean; max?: number; splits?: number[] } = {}): { events: Ev[]; scanner: LineScanner } {
  let sc: LineScanner;
  const r = recorder(() => sc);
  sc = new LineScanner(r.sink, opts.max ?? 1024);
  if (opts.armPrompt) sc.armPrompt(true);
  const all = typeof input === "string" ? bytes(input) : input;
  const cuts = [0, ...(opts.splits ?? []), all.length];
  for (let i = 0; i + 1 < cuts.length; i++) sc.push(all, cuts[i], cuts[i + 1]);
  return { events: r.events, scanner: sc };
}

const lines = (...s: string[]): Ev[] => s.map((x) => ({ t: "line", s: x }));

test("CRLF, CR-only and LF-only line ends; empty lines skipped", () => {
  assert.equal(scan("\r\nOK\r\n").events, lines("OK"));
  assert.equal(scan("AT+CSQ\r\r\n+CSQ: 24,99\r\n\r\nOK\r\n").events, lines("AT+CSQ", "+CSQ: 24,99", "OK"));
  assert.equal(scan("A\nB\rC\r\n\n\n\rD\n").events, lines("A", "B", "C", "D"));
  // A partial line waits for its end.
  assert.equal(scan("\r\nOK").events, []);
});

test("a line split at every byte boundary gives the same lines", () => {
  const text = "\r\n+CREG: 0,1\r\n\r\nOK\r\n";
  for (let cut = 0; cut <= text.length; cut++) assert.equal(scan(text, { splits: [cut] }).events, lines("+CREG: 0,1", "OK"), `cut ${cut}`);
  const every = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
  assert.equal(scan(text, { splits: every }).events, lines("+CREG: 0,1", "OK"));
});

test("the data prompt only while armed, also split between '>' and ' '", () => {
  assert.equal(scan("\r\n> ", { armPrompt: true }).events, [{ t: "prompt" }]);
  assert.equal(scan("\r\n> ", { armPrompt: true, splits: [3] }).events, [{ t: "prompt" }]);
  // Not armed: "> " is just text of a line.
  assert.equal(scan("\r\n> x\r\n").events, lines("> x"));
  // Armed, but not at a line start.
  assert.equal(scan("a> \r\n", { armPrompt: true }).events, lines("a> "));
  // One prompt per arming.
  assert.equal(scan("\r\n> \r\n> \r\n", { armPrompt: true }).events, [{ t: "prompt" }, { t: "line", s: "> " }]);
});

test("a raw block after its header holds CR, LF, OK and prompt bytes untouched", () => {
  const payload = "\r\nOK\r\n> \x00\xff";
  const text = `\r\n+QIRD: ${payload.length}\r\n${payload}\r\n\r\nOK\r\n`;
  const want: Ev[] = [{ t: "line", s: `+QIRD: ${payload.length}` }, { t: "data", hex: hex(bytes(payload)) }, { t: "line", s: "OK" }];
  for (let cut = 0; cut <= text.length; cut++) assert.equal(scan(text, { splits: [cut], armPrompt: false }).events, want, `cut ${cut}`);
  // A block that starts with LF right after a CR-terminated header keeps its LF.
  assert.equal(scan("+DATA: 2\r\n\nX\r\nOK\r\n").events, [{ t: "line", s: "+DATA: 2" }, { t: "data", hex: "0a58" }, { t: "line", s: "OK" }]);
  // An LF-only header: the block starts right after it.
  assert.equal(scan("+DATA: 2\n\r\nOK\n").events, [{ t: "line", s: "+DATA: 2" }, { t: "data", hex: "0d0a" }, { t: "line", s: "OK" }]);
});

test("an overlong line is dropped whole and counted; the next line is intact", () => {
  const junk = "x".repeat(100);
  const { events, scanner } = scan(`${junk}\r\nOK\r\n`, { max: 32 });
  assert.equal(events, lines("OK"));
  assert.is(scanner.dropped, 100);
  // Exactly at the limit is kept.
  assert.equal(scan(`${"y".repeat(32)}\r\n`, { max: 32 }).events, lines("y".repeat(32)));
});

test("bytes with the high bit set stay one character each (Latin-1)", () => {
  const { events } = scan(Uint8Array.from([0x80, 0xff, 0x41, 0x0d, 0x0a]));
  assert.equal(events, lines("\x80\xffA"));
  // A 600-byte line (built in slices) is exact.
  const long = "L".repeat(300) + "M".repeat(300);
  assert.equal(scan(`${long}\r\n`).events, lines(long));
});

test("halt() stops the scan after the current line and returns where", () => {
  let sc: LineScanner;
  const seen: string[] = [];
  sc = new LineScanner({ line: (s) => (seen.push(s), s === "CONNECT" && sc.halt()), prompt() {}, data() {} });
  const input = bytes("\r\nCONNECT\r\nrawdata\r\n");
  const stop = sc.push(input);
  assert.equal(seen, ["CONNECT"]);
  assert.is(String.fromCharCode(...input.subarray(stop)), "\nrawdata\r\n");
});

/** A seeded PRNG for the fuzz (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("fuzz: random frames, garbage between them, random splits -> exactly the frames (and garbage lines)", () => {
  const ITER = 3000;
  let totalBytes = 0;
  let totalEvents = 0;
  for (let it = 0; it < ITER; it++) {
    const r = rng(1000 + it);
    const int = (n: number) => Math.floor(r() * n);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x20 + int(95))).join("");
    const want: Ev[] = [];
    const parts: number[] = [];
    const put = (s: string | number[]) => {
      if (typeof s === "string") for (let i = 0; i < s.length; i++) parts.push(s.charCodeAt(i));
      else parts.push(...s);
    };
    const promptAt = new Set<number>();
    const frames = 1 + int(12);
    for (let f = 0; f < frames; f++) {
      // Garbage before a frame: bytes without CR/LF, not starting with '>', ended by the frame's CR.
      if (r() < 0.3) {
        const g = Array.from({ length: 1 + int(10) }, () => {
          let b = int(256);
          while (b === 0x0d || b === 0x0a) b = int(256);
          return b;
        });
        if (g[0] === 0x3e) g[0] = 0x3f;
        put(g);
        want.push({ t: "line", s: String.fromCharCode(...g) });
        put("\r\n");
      }
      const kind = r();
      const eol = ["\r\n", "\r\n", "\n", "\r"][int(4)]!;
      if (kind < 0.6) {
        let s = text(1 + int(60));
        if (s[0] === ">" || /^\+(QIRD|DATA): \d+$/.test(s)) s = "L" + s;
        put(`\r\n${s}${eol}`);
        want.push({ t: "line", s });
      } else if (kind < 0.8) {
        const n = 1 + int(40);
        const data = Array.from({ length: n }, () => int(256));
        put(`\r\n+QIRD: ${n}\r\n`);
        put(data);
        put("\r\n");
        want.push({ t: "line", s: `+QIRD: ${n}` }, { t: "data", hex: Buffer.from(data).toString("hex") });
      } else {
        put("\r\n> ");
        promptAt.add(want.length);
        want.push({ t: "prompt" });
      }
    }
    const all = Uint8Array.from(parts);
    totalBytes += all.length;
    // The sink arms the prompt exactly when the next expected event is a prompt (as the engine does).
    const got: Ev[] = [];
    let sc: LineScanner;
    const arm = () => sc.armPrompt(promptAt.has(got.length));
    sc = new LineScanner({
      line(s) {
        got.push({ t: "line", s });
        const m = /^\+QIRD: (\d+)$/.exec(s);
        if (m) sc.expectData(Number(m[1]));
        arm();
      },
      prompt() {
        got.push({ t: "prompt" });
        arm();
      },
      data(b) {
        got.push({ t: "data", hex: hex(b) });
        arm();
      },
    });
    arm();
    for (let i = 0; i < all.length; ) {
      const n = 1 + int(r() < 0.5 ? 3 : 40);
      sc.push(all, i, Math.min(all.length, i + n));
      i += n;
    }
    assert.equal(got, want, `iteration ${it}`);
    totalEvents += got.length;
  }
  console.log(`    at-lines fuzz: ${ITER} iterations, ${totalBytes} bytes, ${totalEvents} events, all exact`);
});

test("fuzz: pure random bytes never throw and never yield a line longer than the buffer", () => {
  const ITER = 2000;
  let lineCount = 0;
  for (let it = 0; it < ITER; it++) {
    const r = rng(99 + it);
    let sc: LineScanner;
    sc = new LineScanner(
      {
        line(s) {
          assert.ok(s.length > 0 && s.length <= 64);
          assert.ok(!/[\r\n]/.test(s));
          lineCount++;
          if (r() < 0.05) sc.expectData(Math.floor(r() * 50));
        },
        prompt() {},
        data(b) {
          assert.ok(b.length > 0);
        },
      },
      64,
    );
    sc.armPrompt(r() < 0.5);
    const n = Math.floor(r() * 600);
    const buf = Uint8Array.from({ length: n }, () => (r() < 0.1 ? 0x0d : Math.floor(r() * 256)));
    for (let i = 0; i < n; ) {
      const k = 1 + Math.floor(r() * 30);
      sc.push(buf, i, Math.min(n, i + k));
      i += k;
    }
  }
  console.log(`    at-lines random bytes: ${ITER} iterations, ${lineCount} lines, no exception`);
});

test.run();
