import { describe, expect, it } from 'vitest';
import { addDays, collectionDays, daysBetween } from '../../src/domain/usage/collection-days.js';

const NOW = new Date('2026-12-02T01:00:00Z');

describe('which days a collection asks for (DECISIONS 14)', () => {
  it('starts 28 days back on the first run and ends yesterday', () => {
    const window = collectionDays({ now: NOW, lastDataDay: null });
    expect(window).toMatchObject({ ok: true, from: '2026-11-04', to: '2026-12-01' });
    expect(window.ok && window.days.length).toBe(28);
  });

  it('starts again from the last day that had data', () => {
    expect(collectionDays({ now: NOW, lastDataDay: '2026-11-29' })).toEqual({ ok: true, from: '2026-11-29', to: '2026-12-01', days: ['2026-11-29', '2026-11-30', '2026-12-01'] });
  });

  it('takes the days asked for, cut to what GitHub keeps', () => {
    expect(collectionDays({ now: NOW, lastDataDay: '2026-11-29', from: '2026-11-01', to: '2026-11-02' })).toMatchObject({ ok: true, from: '2026-11-01', to: '2026-11-02' });
    // A year back at most.
    expect(collectionDays({ now: NOW, lastDataDay: null, from: '2025-11-01', to: '2025-12-05' })).toMatchObject({ ok: true, from: '2025-12-02', to: '2025-12-05' });
    // Never before 2025-10-10.
    expect(collectionDays({ now: new Date('2025-10-20T00:00:00Z'), lastDataDay: null })).toMatchObject({ ok: true, from: '2025-10-10', to: '2025-10-19' });
  });

  it('refuses days that cannot have a report', () => {
    expect(collectionDays({ now: NOW, lastDataDay: null, from: '2026-12-02' })).toMatchObject({ ok: false, problem: expect.stringMatching(/after to|not a finished day/) });
    expect(collectionDays({ now: NOW, lastDataDay: null, to: '2026-12-02' })).toMatchObject({ ok: false, problem: expect.stringMatching(/not a finished day/) });
    expect(collectionDays({ now: NOW, lastDataDay: null, from: '2026-11-10', to: '2026-11-09' })).toMatchObject({ ok: false, problem: 'from (2026-11-10) is after to (2026-11-09)' });
    expect(collectionDays({ now: NOW, lastDataDay: null, from: '2025-01-01', to: '2025-02-01' })).toMatchObject({ ok: false, problem: expect.stringMatching(/keeps usage reports from 2025-12-02/) });
  });

  it('counts days across month and year ends in UTC', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});
