/** Parses a JSON secret or var once per distinct value (env objects are rebuilt per request). */
export function memoize<T>(parse: (text: string | undefined) => T): (text: string | undefined) => T {
  const cache = new Map<string | undefined, T>();
  return (text) => {
    let value = cache.get(text);
    if (value === undefined) {
      value = parse(text);
      cache.set(text, value);
    }
    return value;
  };
}
