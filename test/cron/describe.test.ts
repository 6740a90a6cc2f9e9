import { describe, expect, it } from 'vitest';
import { describeSchedule, parseScheduleExpression } from '../../lib/cron/index.ts';
import { randomCronExpression, seededRandom } from './random-expressions.ts';

const en = (text: string): string => describeSchedule(parseScheduleExpression(text), 'en');
const ja = (text: string): string => describeSchedule(parseScheduleExpression(text), 'ja');

describe('describeSchedule', () => {
  it('describes AWS day-of-week numbers 2-6 as Monday through Friday', () => {
    expect(en('cron(0 9 ? * 2-6 *)')).toBe('At 09:00, Monday through Friday');
    expect(ja('cron(0 9 ? * 2-6 *)')).toBe('09:00、月曜日から金曜日まで');
  });

  it('describes 1 as Sunday and 7 and L as Saturday', () => {
    expect(en('cron(30 23 ? * 1 *)')).toBe('At 23:30, only on Sunday');
    expect(en('cron(0 9 ? * 7 *)')).toBe('At 09:00, only on Saturday');
    expect(en('cron(0 9 ? * L *)')).toBe('At 09:00, only on Saturday');
  });

  it('describes month starts, month ends and nth weekdays in English', () => {
    expect(en('cron(0 0 1 * ? *)')).toBe('At 00:00, on day 1 of the month');
    expect(en('cron(0 0 L * ? *)')).toBe('At 00:00, on the last day of the month');
    expect(en('cron(0 9 ? * 2#1 *)')).toBe('At 09:00, on the first Monday of the month');
    expect(en('cron(0 9 ? * 6L *)')).toBe('At 09:00, on the last Friday of the month');
    expect(en('cron(0 9 15W * ? *)')).toBe('At 09:00, on the weekday nearest day 15 of the month');
    expect(en('cron(0/5 8-17 ? * MON-FRI *)')).toBe(
      'Every 5 minutes, between 08:00 and 17:59, Monday through Friday',
    );
  });

  it('describes cron() in plain Japanese', () => {
    expect(ja('cron(0 0 * * ? *)')).toBe('毎日 00:00');
    expect(ja('cron(0 0 1 * ? *)')).toBe('00:00、毎月1日');
    expect(ja('cron(0 0 L * ? *)')).toBe('00:00、毎月最終日');
    expect(ja('cron(0 9 ? * 2-6 *)')).toBe('09:00、月曜日から金曜日まで');
    expect(ja('cron(0 9 ? * MON *)')).toBe('09:00、毎週月曜日');
    expect(ja('cron(0 9 ? * 2#1 *)')).toBe('09:00、毎月第1月曜日');
    expect(ja('cron(0 9 ? * 6L *)')).toBe('09:00、毎月最後の金曜日');
    expect(ja('cron(0 9 15W * ? *)')).toBe('09:00、毎月15日に最も近い平日');
    expect(ja('cron(0 9 LW * ? *)')).toBe('09:00、毎月最後の平日');
    expect(ja('cron(0 0 1 1,4,7,10 ? *)')).toBe('00:00、1日、1月、4月、7月、10月のみ');
    expect(ja('cron(0 9 ? * 1,7 2027)')).toBe('09:00、毎週日曜日と土曜日、2027年のみ');
    expect(ja('cron(0/15 * * * ? *)')).toBe('15分ごと');
    expect(ja('cron(0 6 1W * ? *)')).toBe('06:00、毎月最初の平日');
  });

  it('describes rate() and at() in both languages', () => {
    expect(en('rate(1 minute)')).toBe('Every minute');
    expect(en('rate(12 hours)')).toBe('Every 12 hours');
    expect(ja('rate(12 hours)')).toBe('12時間ごと');
    expect(ja('rate(1 day)')).toBe('1日ごと');
    expect(en('at(2026-12-01T09:00:00)')).toBe('Once at 2026-12-01 09:00:00');
    expect(ja('at(2026-12-01T09:00:00)')).toBe('2026-12-01 09:00:00 に1回だけ');
  });

  it('describes every random valid expression in both languages without leftover locale artefacts', () => {
    // Prepare
    const random = seededRandom(7);
    const texts = Array.from({ length: 500 }, () => randomCronExpression(random));

    // Act
    const japanese = texts.map(ja);
    const english = texts.map(en);

    // Assess
    for (const text of english) expect(text).toMatch(/^[A-Z]/);
    for (const text of japanese) expect(text).not.toMatch(/次において|次に月のうち|、、|、毎時第/);
    // No space inside Japanese text, nor between a number and its counter (月の 最初の平日 に).
    const japaneseCharacter = '[\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}、]';
    const oddSpace = new RegExp(
      `${japaneseCharacter}\\s+${japaneseCharacter}|${japaneseCharacter}\\s+\\d+(?![\\d:])|(?<![\\d:])\\d+\\s+${japaneseCharacter}`,
      'u',
    );
    for (const text of japanese) expect(text).not.toMatch(oddSpace);
  });
});
