// Helpers of the UI and package tests.
import net from 'node:net';

/** A free TCP port below the ephemeral range (32768+), which outgoing connections may take. */
export async function freePortBelow(min = 20_000, max = 32_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min));
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port found between ${min} and ${max}`);
}

/** Fetches JSON, failing with the body when the status is not 200. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const r = await fetch(url);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}
