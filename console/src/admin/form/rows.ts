// Name-and-value rows the administrator edits in a list (a skill and its
// level, a profile and its limit, an attribute and its value), each with a
// key that stays the same while it is edited.
export interface NameValueRow {
  key: number;
  name: string;
  value: string;
}

let next = 1;

/** A key no other row on the page has. */
export function rowKey(): number {
  next += 1;
  return next;
}

export function newRow(name = '', value = ''): NameValueRow {
  return { key: rowKey(), name, value };
}

/** The rows of a name-to-value map, in its order. */
export function rowsOf(m: Record<string, string | number> | undefined): NameValueRow[] {
  return Object.entries(m ?? {}).map(([name, value]) => newRow(name, String(value)));
}
