// A context stopped while its web UI is still binding its port: once stop() resolves, the port is
// free and no server of the UI is left holding the event loop.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { WebUi } from '../../src/ui/WebUi.js';
import { freePort, portFree } from '../helpers/ports.js';

/** The http servers this process holds open now. */
function openHttpServers(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof http.Server).length;
}

/** The number of open http servers, once it has come down to `n` (a closed server's handle goes a tick after its close callback), or after 1 s. */
async function openHttpServersSettled(n: number): Promise<number> {
  const t0 = Date.now();
  while (openHttpServers() !== n && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
  return openHttpServers();
}

describe('web UI stopped while it binds', () => {
  it('stop() right after start(): the port is free and no UI server is left open', async () => {
    const before = openHttpServers();
    const port = await freePort();
    const ssc = new StreamingContext({ batchDuration: 200, ui: { port } });
    ssc.queueStream([[1]]).foreachRDD(() => undefined);
    const started = ssc.start().catch(() => undefined);
    const stopped = ssc.stop();
    await started;
    await stopped;
    expect(await portFree(port)).toBe(true);
    expect(await openHttpServersSettled(before)).toBe(before);
  });

  it('WebUi.stop() while start() is binding closes what the bind opened; a start() after stop() binds nothing', async () => {
    const before = openHttpServers();
    const port = await freePort();
    const ssc = new StreamingContext({ batchDuration: 200 });
    const ui = new WebUi(ssc, { port });
    const starting = ui.start();
    await ui.stop();
    await starting;
    expect(await portFree(port)).toBe(true);
    expect(await openHttpServersSettled(before)).toBe(before);

    await ui.start();
    expect(await portFree(port)).toBe(true);
    expect(await openHttpServersSettled(before)).toBe(before);
  });
});
