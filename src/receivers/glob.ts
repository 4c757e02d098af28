/**
 * Directory globs for textFileStream, as Hadoop's FileSystem.globStatus reads them (Spark's
 * FileInputDStream lists every directory a glob such as `/logs/2017/*` matches): `*` (any
 * characters of one path segment), `?` (one character), `[abc]`, `[a-z]`, `[^a]` / `[!a]`, and
 * `{a,b}` (alternatives, nested, possibly spanning segments: `{2017/12,2018/*}`). On POSIX a
 * backslash makes the next character literal. Node 20 has no fs.glob without a flag, and one
 * level of readdir per glob segment is all a directory glob needs, so this is a small matcher of
 * its own rather than a dependency.
 *
 * Unlike Hadoop, a wildcard does not match a directory whose name starts with `.` or `_` (a
 * writer's `_temporary` or `.staging`) unless the segment's pattern itself starts with that
 * character: the file stream ignores such file names for the same reason (isIgnoredName).
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';

const ESCAPES = path.sep === '/';
/** Alternatives a pattern may expand to (`{a,b}{c,d}` is 4): more is a mistake, not a directory layout. */
const MAX_EXPANSIONS = 4096;

/** True when `p` has an unescaped glob character: `*`, `?`, `[` or `{`. */
export function isGlob(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && ESCAPES) i++;
    else if (c === '*' || c === '?' || c === '[' || c === '{') return true;
  }
  return false;
}

/** `p` with its `{…}` alternatives expanded (Hadoop's GlobExpander), in order, each once. */
export function expandBraces(p: string): string[] {
  const out = new Set<string>();
  const go = (s: string): void => {
    const b = firstBraces(s);
    if (!b) {
      out.add(s);
      if (out.size > MAX_EXPANSIONS) throw new TypeError(`the glob ${p} expands to more than ${MAX_EXPANSIONS} patterns`);
      return;
    }
    for (const alt of b.alternatives) go(s.slice(0, b.start) + alt + s.slice(b.end + 1));
  };
  go(p);
  return [...out];
}

/** The first top-level `{…}` of `s`: where it starts and ends, and its comma-separated alternatives. */
function firstBraces(s: string): { start: number; end: number; alternatives: string[] } | undefined {
  let depth = 0;
  let start = -1;
  let inClass = false;
  const cuts: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && ESCAPES) {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` first in the class (after an optional negation) is one of its characters.
      if (s[i + 1] === '!' || s[i + 1] === '^') i++;
      if (s[i + 1] === ']') i++;
    } else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ',' && depth === 1) {
      cuts.push(i);
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const bounds = [start, ...cuts, i];
        const alternatives: string[] = [];
        for (let k = 0; k + 1 < bounds.length; k++) alternatives.push(s.slice(bounds[k]! + 1, bounds[k + 1]));
        return { start, end: i, alternatives };
      }
    }
  }
  if (inClass) throw new TypeError(`unclosed [ in the glob ${s}`);
  if (depth > 0) throw new TypeError(`unclosed { in the glob ${s}`);
  return undefined;
}

/** One path segment's pattern (no `{…}` left) as an anchored regular expression. */
export function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && ESCAPES && i + 1 < seg.length) re += escapeRe(seg[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      let body = '';
      if (seg[j] === '!' || seg[j] === '^') {
        body += '^';
        j++;
      }
      let first = true;
      for (; j < seg.length && (seg[j] !== ']' || first); j++, first = false) {
        const d = seg[j]!;
        if (d === '\\' && ESCAPES && j + 1 < seg.length) body += escapeClass(seg[++j]!);
        else body += d === '-' ? '-' : escapeClass(d);
      }
      if (j >= seg.length) throw new TypeError(`unclosed [ in the glob segment ${seg}`);
      re += `[${body}]`;
      i = j;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return c === '\\' || c === ']' || c === '[' || c === '^' || c === '-' ? `\\${c}` : c;
}

/** `seg` without its escaping backslashes (a literal segment of a glob). */
function unescape(seg: string): string {
  return ESCAPES ? seg.replace(/\\(.)/gs, '$1') : seg;
}

/** A directory glob, parsed: the literal directory it starts from and what follows it. */
export interface DirectoryGlob {
  /** The longest literal leading directory of every alternative (absolute): file names are relative to it. */
  base: string;
  /** Each alternative after `{…}` expansion: its segments after `base`. */
  patterns: string[][];
}

/** Parses the absolute glob `pattern` (path.resolve'd); throws a TypeError naming what is malformed. */
export function parseGlob(pattern: string): DirectoryGlob {
  const alternatives = expandBraces(pattern).map((p) => p.split(path.sep));
  // The common literal prefix of every alternative.
  let n = 0;
  for (;;) {
    const seg = alternatives[0]![n];
    if (seg === undefined || isGlob(seg) || !alternatives.every((a) => a[n] === seg)) break;
    n++;
  }
  const base = alternatives[0]!.slice(0, n).map(unescape).join(path.sep) || path.sep;
  const patterns = alternatives.map((a) => a.slice(n).filter((s) => s !== ''));
  for (const p of patterns) for (const s of p) if (isGlob(s)) segmentRegExp(s); // malformed: fail now
  return { base, patterns };
}

/** What listing a glob's directories found: the directories, and the first error other than "gone". */
export interface GlobListing {
  dirs: string[];
  error?: NodeJS.ErrnoException;
}

/**
 * The directories `glob` matches now, sorted, each once. An error reading `base` is returned
 * (nothing to scan); directories that vanish while being walked are skipped, as are files.
 */
export function matchDirectories(glob: DirectoryGlob): GlobListing {
  const found = new Set<string>();
  let error: NodeJS.ErrnoException | undefined;
  try {
    if (!statSync(glob.base).isDirectory()) error = Object.assign(new Error(`ENOTDIR: not a directory, scandir '${glob.base}'`), { code: 'ENOTDIR' });
  } catch (e) {
    error = e as NodeJS.ErrnoException;
  }
  if (error) return { dirs: [], error };
  const regexps = new Map<string, RegExp>();
  for (const segs of glob.patterns) {
    let current = [glob.base];
    for (let k = 0; k < segs.length && current.length > 0; k++) {
      const seg = segs[k]!;
      const next: string[] = [];
      if (!isGlob(seg)) {
        for (const d of current) next.push(path.join(d, unescape(seg)));
      } else {
        let re = regexps.get(seg);
        if (!re) regexps.set(seg, (re = segmentRegExp(seg)));
        const hiddenOk = seg.startsWith('.') || seg.startsWith('_');
        for (const d of current) {
          let entries: Dirent[];
          try {
            entries = readdirSync(d, { withFileTypes: true });
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            // A directory may vanish (or be a file) between two steps; other errors are told.
            if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') error ??= err;
            continue;
          }
          for (const e of entries) {
            if (!hiddenOk && (e.name.startsWith('.') || e.name.startsWith('_'))) continue;
            if (!re.test(e.name)) continue;
            const full = path.join(d, e.name);
            if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(full))) next.push(full);
          }
        }
      }
      current = next;
    }
    for (const d of current) found.add(d);
  }
  return { dirs: [...found].sort(), ...(error ? { error } : {}) };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
