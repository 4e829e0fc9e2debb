interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too, as in most cron implementations.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const EXAMPLE = '"0 */6 * * *" (every 6 hours)';

function parseValue(raw: string, field: CronField): number | null {
  if (/^\d+$/.test(raw)) return Number(raw);
  const index = field.names?.indexOf(raw.toUpperCase()) ?? -1;
  if (index < 0) return null;
  // Month names count from 1, day names from 0.
  return field.name === 'month' ? index + 1 : index;
}

function checkItem(item: string, field: CronField): string | null {
  const [range, step, extra] = item.split('/');
  if (extra !== undefined || range === undefined || range === '') return `"${item}" is not a valid ${field.name} value`;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) {
    return `the step in "${item}" must be a positive whole number`;
  }
  if (range === '*') return null;
  const bounds = range.split('-');
  if (bounds.length > 2) return `"${item}" is not a valid ${field.name} range`;
  const values: number[] = [];
  for (const bound of bounds) {
    const value = parseValue(bound, field);
    if (value === null) return `"${bound}" is not a valid ${field.name} value`;
    if (value < field.min || value > field.max) {
      return `${field.name} value ${value} is out of range ${field.min}-${field.max}`;
    }
    values.push(value);
  }
  const [from, to] = values;
  if (to !== undefined && from !== undefined && from > to) return `${field.name} range "${range}" runs backwards`;
  return null;
}

/**
 * Checks the syntax of a 5-field cron expression (minute hour day-of-month month day-of-week).
 * Returns null when valid, else a message a person can act on.
 */
export function cronExpressionProblem(expression: string): string | null {
  const parts = expression.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length !== FIELDS.length) {
    return (
      `must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), ` +
      `e.g. ${EXAMPLE}; "${expression}" has ${parts.length} field${parts.length === 1 ? '' : 's'}`
    );
  }
  for (const [i, field] of FIELDS.entries()) {
    const part = parts[i] ?? '';
    for (const item of part.split(',')) {
      const problem = checkItem(item, field);
      if (problem !== null) return `is not a valid cron expression: ${problem}, e.g. ${EXAMPLE}`;
    }
  }
  return null;
}
