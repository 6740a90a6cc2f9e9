import { describe, expect, it } from 'vitest';
import { firstInstantOfWallTime, isValidTimeZone, wallTimeAt } from '../../lib/cron/index.ts';

describe('isValidTimeZone', () => {
  it('accepts IANA zone names, including UTC and legacy aliases', () => {
    expect(isValidTimeZone('Asia/Tokyo')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('US/Eastern')).toBe(true);
  });

  it('rejects unknown names, offsets and empty text', () => {
    expect(isValidTimeZone('Asia/Osaka')).toBe(false);
    expect(isValidTimeZone('+09:00')).toBe(false);
    expect(isValidTimeZone('JST+9')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('wall clock conversions', () => {
  it('reads the wall clock of a zone at an instant', () => {
    expect(wallTimeAt('Asia/Tokyo', Date.UTC(2026, 11, 31, 15, 30))).toEqual({
      year: 2027,
      month: 1,
      day: 1,
      hour: 0,
      minute: 30,
    });
  });

  it('finds no instant for a local time skipped by spring-forward', () => {
    expect(firstInstantOfWallTime('America/New_York', 2027, 3, 14, 2, 30)).toBeUndefined();
    expect(firstInstantOfWallTime('Australia/Lord_Howe', 2027, 10, 3, 2, 15)).toBeUndefined();
  });

  it('finds the first of two instants for a local time repeated at fall-back', () => {
    expect(firstInstantOfWallTime('America/New_York', 2027, 11, 7, 1, 30)).toBe(Date.UTC(2027, 10, 7, 5, 30));
    expect(firstInstantOfWallTime('Australia/Lord_Howe', 2027, 4, 4, 1, 45)).toBe(
      Date.UTC(2027, 3, 3, 14, 45),
    );
  });
});
