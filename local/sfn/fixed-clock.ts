/**
 * The one global `Date` patch of the local runtime, kept here so it is easy to find and
 * to audit: aws-local-stepfunctions stamps `$$.Execution.StartTime` with `new Date()`
 * itself, and the duplicate-start guard must see the recorded start instead.
 */

/**
 * Runs `fn` with `new Date()` / `Date.now()` returning `instant`. Only the synchronous part
 * of `fn` sees it, which is where the interpreter builds its Context object.
 */
export function withFixedClock<T>(instant: number, fn: () => T): T {
  const RealDate = Date;
  class FixedDate extends RealDate {
    constructor(...args: [] | [string | number | Date]) {
      if (args.length === 0) super(instant);
      else super(args[0]);
    }
    static override now(): number {
      return instant;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}
