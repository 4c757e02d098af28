/**
 * `a` with every element of `b` pushed onto it (groupByKey's mergeCombiners). A loop, not
 * `a.push(...b)`: spreading passes `b` as call arguments, which overflows the stack past ~120 k.
 */
export function appendAll<T>(a: T[], b: readonly T[]): T[] {
  for (let i = 0; i < b.length; i++) a.push(b[i]!);
  return a;
}
