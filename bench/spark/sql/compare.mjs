import { readFileSync, writeFileSync } from 'node:fs';
const read = (f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const S = read(process.argv[2]), O = read(process.argv[3]);
const cats = { match: 0, bothErrSame: 0, unimpl: [], decimal: [], diff: [], errDiff: [] };
const out = [];
const numEq = (a, b) => a === b || (a != null && b != null && !isNaN(+a) && !isNaN(+b) && +a === +b);
for (let k = 0; k < S.length; k++) {
  const s = S[k], o = O[k];
  if (s.expr !== o.expr) throw new Error('misaligned ' + k);
  const tag = `${s.mode === 'T' ? '[t] ' : ''}${s.expr}`;
  const fmt = (r) => r.error ? `ERROR ${r.error}: ${r.message}` : `${r.name} | ${r.type} | ${JSON.stringify(r.values)}`;
  if (o.error === 'UNRESOLVED_ROUTINE' && !s.error) { cats.unimpl.push(tag); continue; }
  if (s.error && o.error) { if (s.error === o.error) cats.bothErrSame++; else cats.errDiff.push(`${tag}\n   spark: ${fmt(s)}\n   ours:  ${fmt(o)}`); continue; }
  if (!s.error && !o.error && s.name === o.name && s.type === o.type && JSON.stringify(s.values) === JSON.stringify(o.values)) { cats.match++; continue; }
  if (!s.error && !o.error && /decimal/.test(s.type) && s.name === o.name && s.values.every((v, i) => numEq(v, o.values[i]))) { cats.decimal.push(tag); continue; }
  cats.diff.push(`${tag}\n   spark: ${fmt(s)}\n   ours:  ${fmt(o)}`);
}
const total = S.length;
let r = `total ${total}; match ${cats.match}; both-error same class ${cats.bothErrSame}; unimplemented (ours UNRESOLVED_ROUTINE) ${cats.unimpl.length}; decimal-only ${cats.decimal.length}; error-class differs ${cats.errDiff.length}; DIFFER ${cats.diff.length}\n`;
r += '\n== DIFF ==\n' + cats.diff.join('\n') + '\n\n== ERROR CLASS DIFF ==\n' + cats.errDiff.join('\n') + '\n\n== UNIMPLEMENTED ==\n' + cats.unimpl.join('\n') + '\n';
writeFileSync(process.argv[4], r);
console.log(r.split('\n')[0]);
