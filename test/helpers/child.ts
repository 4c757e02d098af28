// Runs a test's child job in its own Node process (with tsx, and Node flags such as
// --max-old-space-size so that a batch too large for memory kills it) and collects its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The JSON lines of stdout, parsed. */
  json: Array<Record<string, unknown>>;
  /** The JSON after "DONE ", if printed. */
  done: Record<string, unknown> | undefined;
}

/** Runs `script` (a path from the repository root) to its end, or kills it after `timeoutMs`. */
export function runChild(script: string, args: string[], nodeFlags: string[] = [], timeoutMs = 240_000): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(ROOT, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const json: Array<Record<string, unknown>> = [];
      let done: Record<string, unknown> | undefined;
      for (const line of stdout.split('\n')) {
        if (line.startsWith('{')) json.push(JSON.parse(line) as Record<string, unknown>);
        else if (line.startsWith('DONE ')) done = JSON.parse(line.slice(5)) as Record<string, unknown>;
      }
      resolve({ code, signal, stdout, stderr, json, done });
    });
  });
}
