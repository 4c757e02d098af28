/**
 * Spark's regular expressions are Java's (java.util.regex, Java 17). javaRegexSyntax.ts reads the
 * pattern as Java does and writes it as JavaScript (or refuses by name what JavaScript cannot do);
 * the RegExp is compiled once per pattern by the callers. Replacement text is Java's too: `$0` is
 * the whole match, `$n` a group that must exist, `\x` is x.
 */
import { AnalysisException } from './errors.js';
import { translateJavaRegex } from './javaRegexSyntax.js';

export { translateJavaRegex };

/** A Java pattern compiled for JavaScript, always with the `u` flag (code points, `\p{…}`). */
export function javaRegExp(pattern: string, flags: string, fn: string): RegExp {
  const t = translateJavaRegex(pattern, fn);
  const all = [...new Set(flags + t.flags + 'u')].join('');
  try {
    return new RegExp(t.source, all);
  } catch (e) {
    throw new AnalysisException(`${fn}: the pattern '${pattern}' is not a valid regular expression: ${(e as Error).message}`);
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
