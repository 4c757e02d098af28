// Free TCP ports for the tests' servers and brokers: random, and BELOW the ephemeral range
// (Linux: 32768–60999), never `listen(0)`. The OS hands ephemeral ports to outgoing connections
// too (a kafkajs client, a pg pool), so a server on one may find it taken by the time it
// restarts, and two test runs that both try a fixed port race for it. A random port in
// [20000, 32767] that binds now is free with high probability; a caller that loses a race
// anyway (EADDRINUSE, or scripts/kafka.sh exit code 3) picks again.
import net from 'node:net';

export const TEST_PORT_MIN = 20_000;
/** The last port below the ephemeral range. */
export const TEST_PORT_MAX = 32_767;

/** Ports this process handed out: not handed out twice (the check closes its socket again). */
const handedOut = new Set<number>();

/** True when `port` can be bound on 127.0.0.1 right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A random free port in [TEST_PORT_MIN, TEST_PORT_MAX], not in `avoid`, not handed out before by this process. */
export async function freePort(avoid: readonly number[] = []): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const port = TEST_PORT_MIN + Math.floor(Math.random() * (TEST_PORT_MAX - TEST_PORT_MIN + 1));
    if (handedOut.has(port) || avoid.includes(port)) continue;
    if (await portFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port found in ${TEST_PORT_MIN}–${TEST_PORT_MAX} after 500 tries`);
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) out.push(await freePort(out));
  return out;
}

/**
 * Binds `server` itself to a random port in [TEST_PORT_MIN, TEST_PORT_MAX] (no window between
 * checking a port and taking it); resolves with the port.
 */
export async function listenBelowEphemeral(server: net.Server): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = TEST_PORT_MIN + Math.floor(Math.random() * (TEST_PORT_MAX - TEST_PORT_MIN + 1));
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in ${TEST_PORT_MIN}–${TEST_PORT_MAX} after 50 attempts`);
}
