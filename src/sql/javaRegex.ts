/**
 * Spark's regular expressions are Java's (java.util.regex). Most of Java's syntax is JavaScript's
 * too; what is not is translated — `\Q…\E` quoting, `\A`, `\z`, `\Z`, the POSIX classes
 * (`\p{Punct}`, `\p{Alpha}`, …), leading inline flags `(?i)`, `(?s)`, `(?m)` — or refused by
 * name (possessive quantifiers, atomic groups, other inline flags), never read as literal text.
 * Replacement text is Java's too: `$0` is the whole match, `$n` a group that must exist, `\x` is x.
 */
import { AnalysisException } from './errors.js';

/** Java's POSIX character classes (US-ASCII only, as Java's default), as class contents. */
const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Java pattern text as JavaScript's, with the flags its leading `(?i)`-style group gave. */
export function translateJavaRegex(pattern: string, fn: string): { source: string; flags: string } {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else throw new AnalysisException(`${fn}: the inline flag (?${f}) of Java's regular expressions is not supported: '${pattern}'`);
    }
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new AnalysisException(`${fn}: the pattern '${pattern}' ends with a lone backslash`);
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const text = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(text);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (n === 'p' || n === 'P') {
        const m = /^\{(\w+)\}/.exec(p.slice(i + 2));
        const posix = m ? POSIX[m[1]!.replace(/^Is/, '')] : undefined;
        if (m && posix !== undefined) {
          const negate = n === 'P';
          out += inClass > 0 && !negate ? posix : `[${negate ? '^' : ''}${posix}]`;
          i += 1 + m[0].length;
          continue;
        }
      }
      if (inClass === 0 && n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (inClass === 0 && n === 'z') {
        out += '$(?![\\s\\S])';
        i++;
        continue;
      }
      if (inClass === 0 && n === 'Z') {
        out += '(?=\\n?$(?![\\s\\S]))';
        i++;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (c === '[') inClass++;
    else if (c === ']' && inClass > 0) inClass--;
    else if (inClass === 0) {
      if (c === '(' && p.startsWith('(?>', i)) throw new AnalysisException(`${fn}: atomic groups (?>…) of Java's regular expressions are not supported: '${pattern}'`);
      if (c === '(' && /^\(\?[a-zA-Z-]+[:)]/.test(p.slice(i))) throw new AnalysisException(`${fn}: inline flags inside the pattern are not supported (only at its start): '${pattern}'`);
      if (c === '+' && i > 0 && /[*+?}]/.test(p[i - 1]!) && p[i - 2] !== '\\') {
        throw new AnalysisException(`${fn}: possessive quantifiers (*+, ++, ?+) of Java's regular expressions are not supported: '${pattern}'`);
      }
    }
    out += c;
  }
  return { source: out, flags };
}

/**
 * A Java pattern compiled for JavaScript: with the `u` flag (code points, `\p{L}`), else without
 * when JavaScript refuses it there (`\-` outside a class) and it holds no `\p{…}`.
 */
export function javaRegExp(pattern: string, flags: string, fn: string): RegExp {
  const t = translateJavaRegex(pattern, fn);
  const all = [...new Set(flags + t.flags)].join('');
  try {
    return new RegExp(t.source, `${all}u`);
  } catch (first) {
    if (/\\[pP]\{/.test(t.source)) throw new AnalysisException(`${fn}: the pattern '${pattern}' is not a valid regular expression: ${(first as Error).message}`);
    try {
      return new RegExp(t.source, all);
    } catch (e) {
      throw new AnalysisException(`${fn}: the pattern '${pattern}' is not a valid regular expression: ${(e as Error).message}`);
    }
  }
}

/** The number of capturing groups of `re`. */
export function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, '')).exec('')!.length - 1;
}

/** Java's replacement text as JavaScript's: `\x` is x, `$0` the match, `$n` group n (which must exist), `${name}` a named group. */
export function javaReplacement(rep: string, groups: number): string {
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i]!;
    if (c === '\\') {
      i++;
      if (i >= rep.length) throw new Error(`regexp_replace: character to be escaped is missing in the replacement '${rep}'`);
      out += rep[i] === '$' ? '$$' : rep[i];
    } else if (c === '$') {
      const named = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(rep.slice(i + 1));
      if (named) {
        out += `$<${named[1]}>`;
        i += named[0].length;
        continue;
      }
      const d = rep[i + 1];
      if (d === undefined || !/[0-9]/.test(d)) throw new Error(`regexp_replace: Illegal group reference in the replacement '${rep}'`);
      // Java reads further digits while they still name a group.
      let n = Number(d);
      let j = i + 2;
      while (j < rep.length && /[0-9]/.test(rep[j]!) && n * 10 + Number(rep[j]) <= groups) n = n * 10 + Number(rep[j++]);
      if (n > groups) throw new Error(`regexp_replace: No group ${n} (the pattern has ${groups})`);
      // `$<n>` is not JavaScript's; a group number is written so the next digit cannot join it.
      out += n === 0 ? '$&' : `$${String(n).padStart(2, '0')}`;
      i = j - 1;
    } else out += c;
  }
  return out;
}
