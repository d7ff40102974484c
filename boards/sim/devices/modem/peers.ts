/**
 * Real TCP peers on 127.0.0.1 for the virtual module's sockets (tests, demos): an echo server that
 * records what it received, a greeter that says HELLO and closes, and a port with nobody listening.
 * `routes` maps the addresses the firmware dials (203.0.113.5 is TEST-NET-3) to them.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface Peers {
  routes: Record<string, number>;
  /** Everything the echo peer received, per connection. */
  echoed: Buffer[][];
  /** Remote addresses seen by the echo peer (proves a real TCP connection). */
  remotes: string[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

export async function startPeers(): Promise<Peers> {
  const echoed: Buffer[][] = [];
  const remotes: string[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  };
  const echo = createServer((s) => {
    track(s);
    const got: Buffer[] = [];
    echoed.push(got);
    remotes.push(`${s.remoteAddress}`);
    s.on("data", (d: Buffer) => {
      got.push(d);
      s.write(d);
    });
  });
  const greeter = createServer((s) => {
    track(s);
    s.end("HELLO");
  });
  const nobody = createServer();
  const echoPort = await listen(echo);
  const greeterPort = await listen(greeter);
  const refusedPort = await listen(nobody);
  await new Promise<void>((resolve) => nobody.close(() => resolve()));
  return {
    routes: { "203.0.113.5:5000": echoPort, "203.0.113.5:5001": refusedPort, "203.0.113.5:5002": greeterPort },
    echoed,
    remotes,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([echo, greeter].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    },
  };
}
