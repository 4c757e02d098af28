// `dstreams run`'s progress lines say when a receiver cannot connect — once, not once per retry —
// and when its records come again (they said nothing: a job fed from a port with no server
// printed only empty batches, where Spark logs "Restarting receiver … Error connecting to …").
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { ProgressPrinter } from '../../src/ui/progress.js';
import { freePort } from '../helpers/ports.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (ok: () => boolean, ms: number): Promise<void> => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
};

describe('progress lines for a receiver', () => {
  it('one line when it cannot connect, however often it retries, and one when its records come', async () => {
    const port = await freePort();
    const ssc = new StreamingContext({ batchDuration: 200 });
    const lines: string[] = [];
    new ProgressPrinter(ssc, (line) => void lines.push(line));
    ssc.socketTextStream('127.0.0.1', port, { restartDelay: 100 }).foreachRDD(() => undefined);
    await ssc.start();
    cleanups.push(() => ssc.stop());
    const errors = (): string[] => lines.filter((l) => l.startsWith('receiver '));
    await until(() => errors().length > 0, 5000);
    await new Promise((r) => setTimeout(r, 1000)); // several retries, each failing alike
    expect(errors(), lines.join('\n')).toHaveLength(1);
    expect(errors()[0]).toMatch(new RegExp(`^receiver .*: .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));

    const server = net.createServer((socket) => socket.end('a b\nc\n'));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    await until(() => lines.some((l) => / receiving again$/.test(l)), 5000);
    expect(lines.filter((l) => / receiving again$/.test(l))).toHaveLength(1);
  });
});
