/**
 * Waiting for a service (Kafka, PostgreSQL) when a program starts, saying so: the first failed
 * attempt prints "cannot reach <service> at <address> (<why>) — retrying every Ns, giving up after
 * Ms; <hint>" at once (an attempt is bounded, so within 10 s), then one line per retry; reaching
 * it after a failure says so; giving up throws a ServiceUnreachableError whose message is the one
 * line a command prints before it exits non-zero (no stack trace).
 *
 * The defaults (retry every 5 s, give up after 60 s) can be changed with DSTREAMS_CONNECT_RETRY_S
 * and DSTREAMS_CONNECT_WAIT_S.
 */

export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
}

export interface WaitForServiceOptions {
  /** e.g. "Kafka". */
  service: string;
  /** e.g. "127.0.0.1:9092". */
  address: string;
  /** One attempt: resolves when the service answered; rejects with why not. Should give up by itself within a few seconds. */
  probe: () => Promise<void>;
  /** What to change, e.g. "set --brokers or KAFKA_BROKERS". */
  hint: string;
  /** Where the lines go (default: stderr). */
  log?: (line: string) => void;
  retryMs?: number;
  giveUpMs?: number;
  signal?: AbortSignal;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

function envMs(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : fallback;
}

/** A short reason from an error's cause chain: "connection refused", "unknown host", … */
export function unreachableReason(e: unknown): string {
  let cur: unknown = e;
  let last = '';
  for (let i = 0; i < 8 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
    if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'no answer';
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
    if (code === 'ECONNRESET') return 'connection reset';
    const msg = cur instanceof Error ? cur.message : String(cur);
    if (/ECONNREFUSED/.test(msg)) return 'connection refused';
    if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return 'unknown host';
    if (/timeout|timed out/i.test(msg)) return 'no answer';
    last = msg;
    cur = (cur as { cause?: unknown }).cause ?? (cur as { originalError?: unknown }).originalError;
  }
  return last.split('\n')[0]!.slice(0, 200);
}

export async function waitForService(o: WaitForServiceOptions): Promise<void> {
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const giveUpMs = o.giveUpMs ?? envMs('DSTREAMS_CONNECT_WAIT_S', 60_000);
  const retryMs = Math.min(o.retryMs ?? envMs('DSTREAMS_CONNECT_RETRY_S', 5000), giveUpMs);
  const start = Date.now();
  let failures = 0;
  for (;;) {
    try {
      await o.probe();
      if (failures > 0) log(`reached ${o.service} at ${o.address} after ${seconds(Date.now() - start)}`);
      return;
    } catch (e) {
      failures++;
      const why = unreachableReason(e);
      const elapsed = Date.now() - start;
      if (failures === 1) {
        log(`cannot reach ${o.service} at ${o.address} (${why}) — retrying every ${seconds(retryMs)}, giving up after ${seconds(giveUpMs)}; ${o.hint}`);
      } else if (elapsed < giveUpMs) {
        log(`still cannot reach ${o.service} at ${o.address} (${why}); ${seconds(giveUpMs - elapsed)} left`);
      }
      if (elapsed >= giveUpMs || o.signal?.aborted) {
        throw new ServiceUnreachableError(`cannot reach ${o.service} at ${o.address} (${why}) — gave up after ${seconds(elapsed)}; ${o.hint}`);
      }
      const wait = Math.min(retryMs, giveUpMs - elapsed);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        o.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }
}
