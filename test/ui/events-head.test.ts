// HEAD on the event stream: the headers, then the response ends (it used to stay open forever,
// subscribed to every batch).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, WebUi } from '../../src/index.js';
import { freePortBelow } from './helpers.js';

let ssc: StreamingContext;
let ui: WebUi;
beforeAll(async () => {
  ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
  ssc.queueStream([['a']]).foreachRDD(() => undefined);
  ui = new WebUi(ssc, { port: await freePortBelow() });
  await ui.start();
});
afterAll(async () => {
  await ui?.stop();
  await ssc?.stop();
});

function head(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
    });
    req.on('timeout', () => req.destroy(new Error('HEAD got no complete response in 3 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('web UI: HEAD …/streaming/events', () => {
  it('answers with the event stream headers and ends at once, subscribing nothing', async () => {
    const r = await head(`${ui.webUrl}api/v1/applications/${ui.appId}/streaming/events`);
    expect(r).toEqual({ status: 200, type: 'text/event-stream', body: '' });
    // No subscriber left behind on the job's progress.
    expect((ui.progress as unknown as { onChange: Set<unknown> }).onChange.size).toBe(0);
  });
});
