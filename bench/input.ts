import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const SHAKESPEARE = resolve(here, '../../shared/data/shakespeare.txt');

/** The book's Shakespeare text, or generated English-like lines when it is not there. */
export function shakespeareLines(file = process.env.DSTREAMS_TEXT ?? SHAKESPEARE): string[] {
  if (existsSync(file)) return readFileSync(file, 'utf8').split('\n');
  return generatedLines(40_000);
}

/** Deterministic pseudo-text: Zipf-ish words, 8 to 12 per line. */
export function generatedLines(n: number, seed = 42): string[] {
  const vocab = 'the and to of i a you my that in is not it with me be his your this for but he have thou so as will what by thy all her no do shall if are we him thee our on now lord king love'.split(' ');
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const len = 8 + Math.floor(rnd() * 5);
    for (let j = 0; j < len; j++) {
      const r = rnd();
      words.push(r < 0.8 ? vocab[Math.floor(r * r * vocab.length)]! : `w${Math.floor(rnd() * 20_000)}`);
    }
    lines.push(words.join(' '));
  }
  return lines;
}

/** `lines` repeated until their text reaches `bytes`. */
export function repeatTo(lines: string[], bytes: number): string[] {
  const size = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const times = Math.max(1, Math.ceil(bytes / size));
  const out: string[] = [];
  for (let i = 0; i < times; i++) for (const l of lines) out.push(l);
  return out;
}

export const peakRssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

// The socket feeder: a separate process writing `file` in 1 MiB chunks as fast as the socket takes them.
const FEEDER = `
const net = require('node:net'); const fs = require('node:fs');
const data = fs.readFileSync(process.argv[1]);
const server = net.createServer((s) => {
  s.on('error', () => {});
  let off = 0;
  const pump = () => {
    while (off < data.length) {
      const end = Math.min(off + 1048576, data.length);
      const ok = s.write(data.subarray(off, end));
      off = end;
      if (!ok) return s.once('drain', pump);
    }
    s.end(() => server.close());
  };
  pump();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** Starts a feeder of `file` (one connection, then it exits); resolves with its port. */
export async function startFeeder(file: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', FEEDER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
}

/** The paced feeder: `rate` lines a second in 5 ms steps, each `k<n>` with n uniform in [0, keys), for `seconds`. */
const PACED_FEEDER = `
const net = require('node:net');
const [rate, seconds, keys] = process.argv.slice(1).map(Number);
let s = 42; const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
const server = net.createServer((sock) => {
  sock.on('error', () => {});
  const t0 = Date.now(); let sent = 0;
  const step = () => {
    const elapsed = Date.now() - t0;
    const due = Math.min(rate * seconds, Math.floor((rate * elapsed) / 1000));
    let out = '';
    for (; sent < due; sent++) out += 'k' + Math.floor(rnd() * keys) + '\\n';
    if (out) sock.write(out);
    if (sent >= rate * seconds) { sock.end(); server.close(); process.stdout.write('sent ' + sent + '\\n'); return; }
    setTimeout(step, 5);
  };
  step();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/**
 * Starts a paced feeder process (one connection): resolves with its port and a reader of how many
 * lines it sent (0 until it has sent them all).
 */
export async function startPacedFeeder(rate: number, seconds: number, keys: number): Promise<{ port: number; sent: () => number }> {
  const feeder = spawn(process.execPath, ['-e', PACED_FEEDER, String(rate), String(seconds), String(keys)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let sent = 0;
  const port = await new Promise<number>((resolve) => {
    let first = true;
    feeder.stdout.on('data', (d: Buffer) => {
      for (const line of String(d).trim().split('\n')) {
        if (first) {
          first = false;
          resolve(Number(line));
        } else if (line.startsWith('sent ')) sent = Number(line.slice(5));
      }
    });
  });
  return { port, sent: () => sent };
}
