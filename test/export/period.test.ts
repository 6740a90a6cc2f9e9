import { describe, expect, it } from 'vitest';
import { exportPeriod, isoWeek } from '#functions/enqueue-exports/period.ts';

describe('exportPeriod', () => {
  it('covers the previous calendar month in the job zone, from local midnight to local midnight', () => {
    // Act: 1 Nov 01:00 in Tokyo is still 31 Oct in UTC.
    const period = exportPeriod('monthly', new Date('2026-11-01T01:00:00+09:00'), 'Asia/Tokyo');

    // Assess
    expect(period).toEqual({
      label: '2026-10',
      start: '2026-09-30T15:00:00.000Z',
      end: '2026-10-31T15:00:00.000Z',
    });
  });

  it('wraps January back to December of the previous year', () => {
    expect(exportPeriod('monthly', new Date('2027-01-01T00:30:00+09:00'), 'Asia/Tokyo').label).toBe(
      '2026-12',
    );
  });

  it('uses the zone, not UTC, to decide which month the schedule fell in', () => {
    // 2026-11-30T20:00Z is already 1 December in Tokyo but still 30 November in New York.
    const instant = new Date('2026-11-30T20:00:00Z');
    expect(exportPeriod('monthly', instant, 'Asia/Tokyo').label).toBe('2026-11');
    expect(exportPeriod('monthly', instant, 'America/New_York').label).toBe('2026-10');
  });

  it('keeps month boundaries at local midnight across a daylight saving change', () => {
    // Act: October 2026 in Berlin starts in summer time (UTC+2) and ends in winter time (UTC+1).
    const period = exportPeriod('monthly', new Date('2026-11-01T06:00:00+01:00'), 'Europe/Berlin');

    // Assess
    expect(period.start).toBe('2026-09-30T22:00:00.000Z');
    expect(period.end).toBe('2026-10-31T23:00:00.000Z');
  });

  it('covers the previous local day for daily exports', () => {
    const period = exportPeriod('daily', new Date('2026-11-01T00:10:00+09:00'), 'Asia/Tokyo');
    expect(period).toEqual({
      label: '2026-10-31',
      start: '2026-10-30T15:00:00.000Z',
      end: '2026-10-31T15:00:00.000Z',
    });
  });

  it('covers the previous ISO week, Monday to Sunday, for weekly exports', () => {
    // Act: Wednesday 4 Nov 2026 → the week of Mon 26 Oct to Sun 1 Nov (ISO week 44).
    const period = exportPeriod('weekly', new Date('2026-11-04T09:00:00+09:00'), 'Asia/Tokyo');

    // Assess
    expect(period).toEqual({
      label: '2026-W44',
      start: '2026-10-25T15:00:00.000Z',
      end: '2026-11-01T15:00:00.000Z',
    });
  });

  it('labels a week that starts in December with the next ISO week-year when it owns the Thursday', () => {
    // Monday 4 Jan 2027 → previous week Mon 28 Dec 2026 – Sun 3 Jan 2027, ISO 2026-W53.
    expect(exportPeriod('weekly', new Date('2027-01-04T03:00:00Z'), 'UTC').label).toBe('2026-W53');
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 });
  });
});
