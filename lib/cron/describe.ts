import cronstrue from 'cronstrue/i18n.js';
import type { ScheduleExpression } from './parse.ts';

export type DescriptionLanguage = 'en' | 'ja';

interface CronstrueOptions {
  locale: string;
  dayOfWeekStartIndexZero: boolean;
  use24HourTimeFormat: boolean;
  throwExceptionOnParseError: boolean;
}

// cronstrue ships CommonJS. Node's ESM loader hands over module.exports ({ toString,
// default }), while vite/vitest hand over the default class; both carry a toString.
const cronstrueDescriber = cronstrue as unknown as {
  toString(expression: string, options: CronstrueOptions): string;
};

const RATE_UNIT_JA = { minute: '分', hour: '時間', day: '日' } as const;

/**
 * A short human description of a schedule expression, in English or Japanese:
 * "At 00:00, on day 1 of the month", "Every 5 minutes", "Once at 2026-12-01 09:00:00".
 * cron() is described by cronstrue on its Quartz form (a seconds field of 0 prepended;
 * day-of-week 1-7 = SUN-SAT, as in AWS). Times are wall-clock times in the schedule's zone.
 */
export function describeSchedule(expr: ScheduleExpression, lang: DescriptionLanguage): string {
  switch (expr.kind) {
    case 'cron': {
      const f = expr.fields;
      const quartz = `0 ${f.minutes} ${f.hours} ${f.dayOfMonth} ${f.month} ${f.dayOfWeek} ${f.year}`;
      const text = cronstrueDescriber.toString(quartz, {
        locale: lang,
        dayOfWeekStartIndexZero: false,
        use24HourTimeFormat: true,
        throwExceptionOnParseError: true,
      });
      return lang === 'ja' ? tidyJapanese(text) : text;
    }
    case 'rate': {
      const base = expr.unit.replace(/s$/, '') as keyof typeof RATE_UNIT_JA;
      if (lang === 'ja') return `${expr.value}${RATE_UNIT_JA[base]}ごと`;
      return expr.value === 1 ? `Every ${base}` : `Every ${expr.value} ${base}s`;
    }
    case 'at': {
      const [date, time] = expr.localDateTime.split('T');
      return lang === 'ja' ? `${date} ${time} に1回だけ` : `Once at ${date} ${time}`;
    }
  }
}

/**
 * cronstrue's Japanese locale is a word-for-word rendering ("次において実施09:00次の最終日に").
 * These rewrites turn its fixed phrases into plain Japanese without changing the meaning.
 */
const JAPANESE_REWRITES: [RegExp, string][] = [
  [/次において実施 ?/g, ''],
  [/次の最終日に/g, '月の最終日'],
  [/次に月のうち (\d) 番目 (\S+曜日)/g, '第 $1 $2'],
  [/月の最後の (\S+曜日) に/g, '月の最後の$1'],
  [/月の (\d+) 日の直近の平日 に/g, '月の $1 日に最も近い平日'],
  [/月の最後の平日に/g, '月の最後の平日'],
  [/(\d{4}) でのみ/g, '$1 年のみ'],
  [/ (にのみ|でのみ)/g, 'のみ'],
  [/,と /g, '、'],
  [/, /g, '、'],
  // cronstrue joins some segments with nothing in between.
  [/(日目|のみ|平日|最終日|曜日|まで|の間|に開始)(?=[0-9月第])/g, '$1、'],
  [/(ごと|\d{2}:\d{2})(?=[日月火水木金土]曜日|第)/g, '$1、'],
  [/、毎時(?=第)/g, '、'],
  [/、(\s*、)+/g, '、'],
  [/^(\d{2}:\d{2})(?=[^、\s])/, '$1、'],
  // A bare time means every day, which English says with "At" and Japanese must say.
  [/^(\d{2}:\d{2})$/, '毎日 $1'],
  // Spacing: none between Japanese words, nor between a count and its counter (1日, 第1);
  // one space around times and dates, which are written in ASCII (毎日 09:00).
  [
    /([\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー、])\s+(?=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー、])/gu,
    '$1',
  ],
  [/\s+、/g, '、'],
  [/([\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー、])\s+(?=\d+(?![\d:-]))/gu, '$1'],
  [/(?<![\d:-])(\d+)\s+(?=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー])/gu, '$1'],
  // Day rules say "every month" / "every week" the way a Japanese calendar does.
  [/月の(\d+)日目/g, '毎月$1日'],
  [/月の最初の平日に?/g, '毎月最初の平日'],
  [/月の(\d+)日に最も近い平日/g, '毎月$1日に最も近い平日'],
  [/月の(\d+)日から(\d+)日の間/g, '毎月$1日から$2日'],
  [/月の最終日/g, '毎月最終日'],
  [/月の最後の/g, '毎月最後の'],
  [/(^|、)第(\d)/g, '$1毎月第$2'],
  [/([日月火水木金土]曜日(?:と[日月火水木金土]曜日)*)のみ/g, '毎週$1'],
  // With months listed, the day is not every month's.
  [/毎月(.*、\d+月(?:、\d+月)*のみ)/, '$1'],
];

function tidyJapanese(text: string): string {
  return JAPANESE_REWRITES.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}
