/** A state's name (`{ name }`, StateSpec `.name(n)`): how the checkpoint keys it across code changes. */
export function checkStateName(name: unknown, operation: string): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name === '' || name.includes('/') || /\p{Surrogate}/u.test(name)) {
    throw new TypeError(`${operation}: name must be a non-empty string without "/", got ${JSON.stringify(name) ?? String(name)}`);
  }
  return name;
}
