/**
 * A schedule expression that EventBridge Scheduler would reject (or that this engine
 * cannot evaluate the way AWS does). `message` names the field and the rule it broke;
 * `example` is a valid expression close to what was probably meant.
 */
export class ScheduleExpressionError extends Error {
  readonly example: string;

  constructor(message: string, example: string) {
    super(message);
    this.name = 'ScheduleExpressionError';
    this.example = example;
  }
}
