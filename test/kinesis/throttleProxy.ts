// An HTTP proxy in front of dynalite that answers the lease-table writes a test picks with
// DynamoDB's real throttling error (ProvisionedThroughputExceededException, HTTP 400), as DynamoDB
// does under load; every other request goes through to dynalite. It logs each lease write: what
// it was, when, and how it was answered.
import http from 'node:http';
import { listenBelowEphemeral } from '../helpers/ports.js';

/** A lease-table write (UpdateItem), as the proxy saw it. */
export interface LeaseWrite {
  at: number;
  kind: 'take' | 'renew' | 'release' | 'checkpoint' | 'other';
  leaseKey: string;
  /** The checkpoint written (kind 'checkpoint'). */
  checkpoint?: string;
  /** HTTP status of the answer: 200 done, 400 refused (throttled here, or a failed condition). */
  status?: number;
  throttled: boolean;
}

export interface ThrottleProxy {
  url: string;
  writes: LeaseWrite[];
  close(): Promise<void>;
}

interface UpdateItemBody {
  Key?: { leaseKey?: { S?: string } };
  UpdateExpression?: string;
  ExpressionAttributeValues?: Record<string, { S?: string }>;
}

function kindOf(update: string): LeaseWrite['kind'] {
  if (update.startsWith('REMOVE leaseOwner')) return 'release';
  if (update.includes('SET leaseOwner')) return 'take';
  if (update.startsWith('SET leaseCounter')) return 'renew';
  if (update.startsWith('SET checkpoint')) return 'checkpoint';
  return 'other';
}

/** `throttle(write)`: whether to answer this write with the throttling error instead of forwarding it. */
export async function throttleProxy(target: string, throttle: (w: LeaseWrite) => boolean): Promise<ThrottleProxy> {
  const to = new URL(target);
  const writes: LeaseWrite[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let write: LeaseWrite | undefined;
      if (String(req.headers['x-amz-target'] ?? '').endsWith('.UpdateItem')) {
        const u = JSON.parse(body.toString('utf8')) as UpdateItemBody;
        const cp = u.ExpressionAttributeValues?.[':cp']?.S;
        write = { at: Date.now(), kind: kindOf(u.UpdateExpression ?? ''), leaseKey: u.Key?.leaseKey?.S ?? '', throttled: false, ...(cp !== undefined ? { checkpoint: cp } : {}) };
        writes.push(write);
        if (throttle(write)) {
          write.throttled = true;
          write.status = 400;
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ProvisionedThroughputExceededException' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            }),
          );
          return;
        }
      }
      const fwd = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        if (write) write.status = up.statusCode;
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  const port = await listenBelowEphemeral(server);
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
