export type { DescriptionLanguage } from './describe.ts';
export { describeSchedule } from './describe.ts';
export { ScheduleExpressionError } from './errors.ts';
export type { NextRunsOptions } from './next-runs.ts';
export { matchingDays, nextRuns } from './next-runs.ts';
export type {
  AtExpression,
  CronExpression,
  CronFieldTexts,
  DayOfMonthRule,
  DayOfWeekRule,
  RateExpression,
  RateUnit,
  ScheduleExpression,
} from './parse.ts';
export { parseScheduleExpression } from './parse.ts';
export type { WallTime } from './time-zone.ts';
export {
  firstInstantOfWallTime,
  intlOffsetReader,
  isValidTimeZone,
  wallTimeAt,
  zonedFormatter,
} from './time-zone.ts';
