// A TCP proxy in front of kinesalite or dynalite that can simulate the endpoint becoming
// unreachable: `refuse()` destroys the open connections and refuses new ones (a process gone),
// `blackhole()` keeps connections open but swallows every byte both ways (a network partition:
// requests wait for their timeout), `heal()` lets traffic through again.
import net from 'node:net';
import { freePort } from '../helpers/ports.js';

export interface CutProxy {
  url: string;
  refuse(): void;
  blackhole(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function cutProxy(target: string): Promise<CutProxy> {
  const t = new URL(target);
  let mode: 'open' | 'refuse' | 'blackhole' = 'open';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    if (mode === 'refuse') {
      c.destroy();
      return;
    }
    const u = net.connect(Number(t.port), t.hostname);
    sockets.add(c);
    sockets.add(u);
    c.on('data', (d) => {
      if (mode === 'open') u.write(d);
    });
    u.on('data', (d) => {
      if (mode === 'open') c.write(d);
    });
    const end = (): void => {
      c.destroy();
      u.destroy();
      sockets.delete(c);
      sockets.delete(u);
    };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    refuse() {
      mode = 'refuse';
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    blackhole() {
      mode = 'blackhole';
    },
    heal() {
      mode = 'open';
    },
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
