/**
 * Serializes a JSON value with object keys sorted recursively (by UTF-16 code units, as RFC 8785
 * does), so equal data always gives the same text and therefore the same hash. Everything else
 * follows JSON.stringify: `toJSON` is honoured (dates become ISO strings), undefined, functions
 * and symbols are left out of objects and become null in arrays, non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, new Set());
  if (text === undefined) throw new TypeError(`canonicalJson: a top-level ${typeof value} has no JSON form`);
  return text;
}

function serialize(input: unknown, ancestors: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint has no JSON form; convert it to a string or number first');
    case 'object': {
      if (value === null) return 'null';
      if (ancestors.has(value)) throw new TypeError('canonicalJson: the value contains a circular reference');
      ancestors.add(value);
      try {
        if (Array.isArray(value)) {
          return `[${value.map((item: unknown) => serialize(item, ancestors) ?? 'null').join(',')}]`;
        }
        const record = value as Record<string, unknown>;
        const members: string[] = [];
        for (const key of Object.keys(record).sort()) {
          const text = serialize(record[key], ancestors);
          if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
        }
        return `{${members.join(',')}}`;
      } finally {
        ancestors.delete(value);
      }
    }
    default:
      return undefined;
  }
}
