/** A whole number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A USD amount: `798 USD`, `12.50 USD`. */
export function usd(amount: number): string {
  return `${Number.isInteger(amount) ? amount.toLocaleString('en-US') : amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`;
}

/** A percentage, or a dash when there is nothing to divide. */
export function percent(p: number | null): string {
  return p === null ? '–' : `${p} %`;
}

/** A moment as `2026-12-02 11:04 UTC`. */
export function when(at: Date | string | null): string {
  if (at === null) return '–';
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
