const COUNT = new Intl.NumberFormat('en-US');
const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** A whole number with thousands separators: `4,210`. */
export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** An amount in US dollars: `$1,234.50`. */
export function formatUsd(value: number): string {
  return USD.format(value);
}

/** `1 seat`, `2 seats`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** The day of an ISO 8601 timestamp, `2026-06-01`, or the text as given when it is not one. */
export function formatDay(iso: string): string {
  const match = /^\d{4}-\d{2}-\d{2}/.exec(iso);
  return match === null ? iso : match[0];
}
