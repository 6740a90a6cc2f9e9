/**
 * Execution-history event types that mean a Task state's work failed (ECS task or Lambda),
 * as GetExecutionHistory names them. Notify uses them to find the state a failure came
 * from; the console marks the failed state with them. No imports: the console's browser
 * bundle uses this file too.
 */
export const TASK_FAILURE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
]);
