import { describe, expect, it } from 'vitest';
import { analyseHistory, stateTypesOf } from '../../local/console/ui/history-analysis.ts';

const definition = {
  StartAt: 'Run job task',
  States: {
    'Run job task': {
      Type: 'Task',
      Next: 'Convert',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Job failed' }],
    },
    Convert: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Convert one', States: { 'Convert one': { Type: 'Task', End: true } } },
      End: true,
    },
    'Job failed': { Type: 'Fail' },
  },
};
const types = stateTypesOf(definition);

let nextId = 1;
function event(type: string, details: Record<string, unknown> = {}) {
  const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
  return {
    id: nextId++,
    timestamp: nextId,
    type,
    ...(Object.keys(details).length ? { [key]: details } : {}),
  };
}
const entered = (state: string, kind = 'Task') =>
  event(`${kind}StateEntered`, { name: state, input: '{"a":1}' });
const exited = (state: string, kind = 'Task') =>
  event(`${kind}StateExited`, { name: state, output: '{"b":2}' });

describe('execution history analysis', () => {
  it('finds every state of a definition, nested Map states included', () => {
    expect(Object.fromEntries(types)).toEqual({
      'Run job task': 'Task',
      Convert: 'Map',
      'Convert one': 'Task',
      'Job failed': 'Fail',
    });
  });

  it('marks a task that failed and was caught, a retried task and the Fail state', () => {
    nextId = 1;
    const events = [
      event('ExecutionStarted'),
      entered('Run job task'),
      event('TaskScheduled'),
      event('TaskFailed', { error: 'ECS.AmazonECSException', cause: 'capacity' }),
      event('TaskScheduled'),
      event('TaskFailed', { error: 'States.TaskFailed', cause: '{"StopCode":"EssentialContainerExited"}' }),
      // The interpreter closes a caught state with an exit event before the Catch target.
      exited('Run job task'),
      entered('Job failed', 'Fail'),
      event('ExecutionFailed', { error: 'JobFailed' }),
    ];

    const analysis = analyseHistory(events, 'FAILED', types);

    expect(analysis.states.get('Run job task')).toMatchObject({
      status: 'caught',
      retries: 1,
      error: 'States.TaskFailed',
      input: '{"a":1}',
    });
    expect(analysis.states.get('Job failed')?.status).toBe('failed');
    expect(analysis.states.has('Convert')).toBe(false);
    expect(analysis.stepOf.get(4)).toBe('Run job task');
    expect(analysis.states.get('Run job task')?.output).toBeUndefined();
  });

  it('shows a task that succeeded on its retry as succeeded and retried', () => {
    nextId = 1;
    const events = [
      entered('Run job task'),
      event('TaskScheduled'),
      event('TaskFailed', { error: 'ECS.AmazonECSException', cause: 'capacity' }),
      event('TaskScheduled'),
      event('TaskSucceeded'),
      exited('Run job task'),
    ];

    const analysis = analyseHistory(events, 'RUNNING', types);

    expect(analysis.states.get('Run job task')).toMatchObject({
      status: 'succeeded',
      retries: 1,
      output: '{"b":2}',
    });
  });

  it('counts Map iterations and turns the unfinished ones of a stopped run into ABORTED', () => {
    nextId = 1;
    const events = [
      entered('Run job task'),
      exited('Run job task'),
      entered('Convert', 'Map'),
      event('MapIterationStarted', { name: 'Convert', index: 0 }),
      event('MapIterationStarted', { name: 'Convert', index: 1 }),
      entered('Convert one'),
      exited('Convert one'),
      event('MapIterationSucceeded', { name: 'Convert', index: 0 }),
      entered('Convert one'),
      event('ExecutionAborted'),
    ];

    const running = analyseHistory(events.slice(0, -1), 'RUNNING', types);
    const stopped = analyseHistory(events, 'ABORTED', types);

    expect(running.iterations.get('Convert')).toEqual(['SUCCEEDED', 'RUNNING']);
    expect(running.states.get('Convert one')?.status).toBe('running');
    expect(stopped.iterations.get('Convert')).toEqual(['SUCCEEDED', 'ABORTED']);
    expect(stopped.states.get('Convert one')).toMatchObject({ status: 'aborted', entered: 2 });
    expect(stopped.states.get('Run job task')?.status).toBe('succeeded');
  });
});
