/**
 * Reader and writer options as Spark keeps them (CaseInsensitiveMap): `option('checkpointlocation',
 * …)`, `option('MAXFILESPERTRIGGER', …)` and `option('startingoffsets', …)` are the options their
 * sources and sinks document. A key set again under another case replaces the first (the last one
 * set wins, under the case it was last given); values keep their case.
 *
 * The map is a plain `Record<string, string>` to its readers: `options.path`,
 * `options['kafka.bootstrap.servers']`, `'x' in options` and `Object.hasOwn` look a key up whatever
 * its case; `Object.entries`/`Object.keys` list each key once, as it was given (Kafka's
 * `kafka.*` pass-through strips the prefix from that key). A copy made by spreading (`{ ...o }`)
 * is an ordinary, case-sensitive object: copy with `caseInsensitiveOptions(o)` instead.
 */
export type Options = Record<string, string>;

export function caseInsensitiveOptions(from?: Readonly<Record<string, string>>): Options {
  const target: Options = {};
  /** The key as given, by its lower-case form. */
  const keys = new Map<string, string>();
  const actual = (prop: string): string | undefined => keys.get(prop.toLowerCase());
  const map = new Proxy(target, {
    get(t, prop, receiver) {
      const k = typeof prop === 'string' ? actual(prop) : undefined;
      // Not an option: what any object has (hasOwnProperty, toString).
      return k === undefined ? Reflect.get(t, prop, receiver) : t[k];
    },
    set(t, prop, value) {
      if (typeof prop !== 'string') return Reflect.set(t, prop, value);
      const lower = prop.toLowerCase();
      const was = keys.get(lower);
      if (was !== undefined) delete t[was];
      keys.set(lower, prop);
      t[prop] = value as string;
      return true;
    },
    has(t, prop) {
      return typeof prop === 'string' ? actual(prop) !== undefined : Reflect.has(t, prop);
    },
    deleteProperty(t, prop) {
      if (typeof prop !== 'string') return Reflect.deleteProperty(t, prop);
      const k = actual(prop);
      if (k !== undefined) {
        delete t[k];
        keys.delete(prop.toLowerCase());
      }
      return true;
    },
    getOwnPropertyDescriptor(t, prop) {
      if (typeof prop !== 'string') return Reflect.getOwnPropertyDescriptor(t, prop);
      const k = actual(prop);
      return k === undefined ? undefined : Reflect.getOwnPropertyDescriptor(t, k);
    },
    defineProperty(t, prop, descriptor) {
      if (typeof prop !== 'string' || !('value' in descriptor)) return Reflect.defineProperty(t, prop, descriptor);
      map[prop] = String(descriptor.value);
      return true;
    },
  });
  if (from) for (const [k, v] of Object.entries(from)) map[k] = v;
  return map;
}
