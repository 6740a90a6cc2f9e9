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
      return cronstrueDescriber.toString(quartz, {
        locale: lang,
        dayOfWeekStartIndexZero: false,
        use24HourTimeFormat: true,
        throwExceptionOnParseError: true,
      });
    }
    case 'rate': {
      const base = expr.unit.replace(/s$/, '') as keyof typeof RATE_UNIT_JA;
      if (lang === 'ja') return `${expr.value} ${RATE_UNIT_JA[base]}ごと`;
      return expr.value === 1 ? `Every ${base}` : `Every ${expr.value} ${base}s`;
    }
    case 'at': {
      const [date, time] = expr.localDateTime.split('T');
      return lang === 'ja' ? `${date} ${time} に 1 回だけ` : `Once at ${date} ${time}`;
    }
  }
}
