// Bad-input campaign (issue 16), socket and folder inputs.
//
// Socket: random bytes (invalid UTF-8, NULs, CRs, lines of any length) for SOCKET_SECONDS with
// marker lines among them. Every `\n`-terminated line is one record — none lost, none doubled —
// every marker arrives exactly once, and the process's RSS stays bounded. The test runs 15 s to
// keep the suite's time modest; `SOCKET_SECONDS=60 npx vitest run test/campaign/receiver-input.test.ts`
// runs the full minute.
//
// Folder: files of every awkward kind moved in — binary, empty, no final newline, CRLF, NULs,
// an 8 MB line, and things that are not regular files (a FIFO, a dangling symlink, a directory);
// the records are exactly the lines of the regular files, and nothing hangs on the FIFO. As root
// chmod 000 does not stop a read, so there the file is read; run as the unprivileged user nobody
// (a child process), the unreadable file fails the batch with an error naming it.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { splitLines } from '../../src/receivers/fileLines.js';
import { freePort } from '../helpers/ports.js';
import { recordCampaign } from './tally.js';

const SOCKET_SECONDS = Number(process.env.SOCKET_SECONDS ?? 15);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('socket input: random bytes', () => {
  it(`counts every line once, every marker once, RSS bounded (${SOCKET_SECONDS} s)`, { timeout: (SOCKET_SECONDS + 60) * 1000 }, async () => {
    const port = await freePort();
    const clients: Socket[] = [];
    const server = createServer((s) => void clients.push(s));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));

    const ssc = new StreamingContext({ batchDuration: 500 });
    let records = 0;
    const markers = new Map<number, number>();
    const receiverErrors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (i) => void receiverErrors.push(String(i.lastErrorMessage ?? '')) });
    ssc.socketTextStream('127.0.0.1', port).foreachRDD((rdd) => {
      for (const line of rdd.collect()) {
        records++;
        const m = /^MARK (\d+)$/.exec(line);
        if (m) markers.set(Number(m[1]), (markers.get(Number(m[1])) ?? 0) + 1);
      }
    });
    await ssc.start();
    while (clients.length === 0) await sleep(20);
    const client = clients[0]!;

    // 2 MiB/s of random bytes in 16 KiB chunks, a marker line after each chunk.
    let newlines = 0;
    let sentMarkers = 0;
    let bytes = 0;
    const rss: number[] = [];
    const started = Date.now();
    const end = started + SOCKET_SECONDS * 1000;
    while (Date.now() < end) {
      const chunk = Buffer.concat([randomBytes(16 * 1024), Buffer.from(`\nMARK ${sentMarkers}\n`)]);
      sentMarkers++;
      // A line ends at \n, \r\n or a lone \r, as Java's readLine (each chunk ends with \n: no \r at its end).
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10 || (chunk[i] === 13 && chunk[i + 1] !== 10)) newlines++;
      bytes += chunk.length;
      if (!client.write(chunk)) await new Promise((r) => client.once('drain', r));
      if (sentMarkers % 16 === 0) rss.push(process.memoryUsage().rss);
      const ahead = bytes / (2 * 2 ** 20) - (Date.now() - started) / 1000;
      if (ahead > 0) await sleep(ahead * 1000);
    }
    const deadline = Date.now() + 30_000;
    while (records < newlines && Date.now() < deadline) await sleep(100);
    await ssc.stop({ graceful: true });
    client.destroy();
    await new Promise((r) => server.close(r));

    const doubled = [...markers.values()].filter((n) => n !== 1).length;
    const missing = sentMarkers - markers.size;
    // Bounded, not leaking: the peak of the last third of the run against the peak of the first third.
    const third = Math.floor(rss.length / 3);
    const peak = (xs: number[]) => Math.max(...xs) / 2 ** 20;
    const growthMb = peak(rss.slice(2 * third)) - peak(rss.slice(0, third));
    recordCampaign(`socket, random bytes ${SOCKET_SECONDS} s`, {
      cases: 1,
      correct: records === newlines && missing === 0 && doubled === 0 ? 1 : 0,
      errors: receiverErrors.length,
      lost: Math.abs(newlines - records) + missing + doubled,
    });
    console.info(
      `socket campaign: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${SOCKET_SECONDS} s, ${newlines} lines sent, ${records} records, ` +
        `${sentMarkers} markers (${missing} missing, ${doubled} not once), RSS peak first third ${peak(rss.slice(0, third)).toFixed(0)} MiB, last third ${peak(rss.slice(2 * third)).toFixed(0)} MiB`,
    );
    expect(receiverErrors).toEqual([]);
    expect(records).toBe(newlines);
    expect(missing).toBe(0);
    expect(doubled).toBe(0);
    expect(growthMb).toBeLessThan(64);
  });
});

describe('folder input: awkward files', () => {
  it('reads exactly the lines of the regular files and skips what is not one, without hanging', { timeout: 60_000 }, async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'dstreams-campaign-files-'));
    dirs.push(base);
    const watched = path.join(base, 'in');
    const staging = path.join(base, 'staging');
    mkdirSync(watched);
    mkdirSync(staging);

    const files: Record<string, Buffer> = {
      'binary.bin': randomBytes(1 << 20),
      'empty.txt': Buffer.alloc(0),
      'no-final-newline.txt': Buffer.from('a\nb\nc'),
      'crlf.txt': Buffer.from('one\r\ntwo\r\n\r\n'),
      'nul.txt': Buffer.from('a\u0000b\n\u0000\n'),
      'invalid-utf8.txt': Buffer.from([0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a, 0xe2, 0x82]),
      'long-line.txt': Buffer.from(`${'x'.repeat(8 << 20)}\n`),
      'only-newlines.txt': Buffer.from('\n\n\n'),
      'unreadable.txt': Buffer.from('root reads me anyway\n'),
    };
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const got: string[] = [];
    ssc.textFileStream(watched).foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();

    for (const [name, content] of Object.entries(files)) {
      writeFileSync(path.join(staging, name), content);
      if (name === 'unreadable.txt') chmodSync(path.join(staging, name), 0);
      renameSync(path.join(staging, name), path.join(watched, name));
    }
    // Not regular files: skipped (a FIFO would block a read for ever).
    execFileSync('mkfifo', [path.join(watched, 'fifo')]);
    symlinkSync(path.join(base, 'nowhere'), path.join(watched, 'dangling'));
    mkdirSync(path.join(watched, 'subdir.txt'));
    await Promise.race([clock.advance(2000), sleep(20_000).then(() => Promise.reject(new Error('HANG: the folder stream did not finish 2 batches')))]);
    await ssc.stop();

    const expected = Object.values(files).flatMap((b) => splitLines(b.toString('utf8')));
    recordCampaign('folder, awkward files', {
      cases: Object.keys(files).length + 3,
      correct: got.length === expected.length ? Object.keys(files).length + 3 : 0,
      errors: 0,
      lost: Math.abs(expected.length - got.length),
    });
    expect(got.length).toBe(expected.length);
    expect([...got].sort()).toEqual([...expected].sort());
  });
});

describe('folder input: a file the reader may not read', () => {
  it('fails the batch naming the file (as the unprivileged user nobody), instead of skipping it', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-campaign-perm-'));
    dirs.push(dir);
    chmodSync(dir, 0o777);
    writeFileSync(path.join(dir, 'ok.txt'), 'fine\n');
    writeFileSync(path.join(dir, 'secret.txt'), 'not for you\n');
    chmodSync(path.join(dir, 'secret.txt'), 0);
    const program = `
      import { ManualClock, StreamingContext } from './src/index.ts';
      const clock = new ManualClock();
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.textFileStream(${JSON.stringify(dir)}, { newFilesOnly: false }).foreachRDD((rdd) => console.log('RECORDS ' + rdd.count()));
      await ssc.start();
      await clock.advance(1000).catch(() => undefined);
      await ssc.awaitTermination().then(() => console.log('STOPPED'), (e) => console.log('ERROR ' + e.message));
    `;
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      cwd: root,
      encoding: 'utf8',
      timeout: 45_000,
      env: { ...process.env, HOME: dir },
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ERROR textFileStream ${dir}: cannot read ${path.join(dir, 'secret.txt')}: EACCES`);
    expect(r.stdout).not.toContain('RECORDS');
    recordCampaign('folder, unreadable file (as nobody)', { cases: 1, correct: 0, errors: 1, lost: 0 });
  });
});
