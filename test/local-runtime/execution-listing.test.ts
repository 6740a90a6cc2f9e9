import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ExecutionRecord,
  ExecutionStore,
  type ExecutionSummary,
} from '../../local/store/execution-store.ts';

const MACHINE = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-a';
const OTHER = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-b';

function record(machine: string, name: string, startDate: string, status: ExecutionRecord['status']) {
  const stored: ExecutionRecord = {
    executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: machine,
    job: machine.split('-').at(-1) ?? '',
    name,
    status,
    startDate,
    input: '{}',
    redriveCount: 0,
    runtimePid: process.pid,
    updatedAt: startDate,
  };
  return stored;
}

const names = (records: Iterable<ExecutionSummary>) => [...records].map((item) => item.name);

describe('execution store listing index', () => {
  let dataDir: string;
  let store: ExecutionStore;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-listing-'));
    store = new ExecutionStore(dataDir);
    // Created out of order, with a start-time tie broken by name (descending, as ListExecutions).
    for (const [name, start, status] of [
      ['b', '2026-11-01T00:00:02.000Z', 'SUCCEEDED'],
      ['d', '2026-11-01T00:00:04.000Z', 'FAILED'],
      ['a', '2026-11-01T00:00:01.000Z', 'FAILED'],
      ['c', '2026-11-01T00:00:02.000Z', 'RUNNING'],
    ] as const) {
      store.create(record(MACHINE, name, start, status), 'a', {});
    }
    store.create(record(OTHER, 'x', '2026-11-01T00:00:03.000Z', 'FAILED'), 'b', {});
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lists one state machine newest first, ties by name descending, from a cursor', () => {
    expect(names(store.newestFirst(MACHINE))).toEqual(['d', 'c', 'b', 'a']);
    expect(
      names(store.newestFirst(MACHINE, { after: { startDate: '2026-11-01T00:00:02.000Z', name: 'c' } })),
    ).toEqual(['b', 'a']);
    expect(names(store.newestFirst(MACHINE, { status: 'FAILED' }))).toEqual(['d', 'a']);
  });

  it('moves an execution between status listings when its status changes', () => {
    const running = store.get(`${MACHINE.replace(':stateMachine:', ':execution:')}:c`);
    if (running === undefined) throw new Error('fixture missing');

    store.update({ ...running, status: 'FAILED' });

    expect(names(store.newestFirst(MACHINE, { status: 'RUNNING' }))).toEqual([]);
    expect(names(store.newestFirst(MACHINE, { status: 'FAILED' }))).toEqual(['d', 'c', 'a']);
    expect(names(store.newestFirst(MACHINE))).toEqual(['d', 'c', 'b', 'a']);
  });

  it('also moves it when the caller changed the record in place before updating', () => {
    const running = store.get(`${MACHINE.replace(':stateMachine:', ':execution:')}:c`);
    if (running === undefined) throw new Error('fixture missing');

    running.status = 'SUCCEEDED';
    store.update(running);

    expect(names(store.newestFirst(MACHINE, { status: 'RUNNING' }))).toEqual([]);
    expect(names(store.newestFirst(MACHINE, { status: 'SUCCEEDED' }))).toEqual(['c', 'b']);
  });

  it('rebuilds the same order when a new store reads the folder', () => {
    const reopened = new ExecutionStore(dataDir);

    expect(names(reopened.newestFirst(MACHINE))).toEqual(['d', 'c', 'b', 'a']);
    expect(names(reopened.newestFirst(OTHER, { status: 'FAILED' }))).toEqual(['x']);
    expect(names(reopened.newestFirst(MACHINE, { status: 'TIMED_OUT' }))).toEqual([]);
  });

  it('reads only what a page needs (lazy)', () => {
    const iterator = store.newestFirst(MACHINE);

    expect(iterator.next().value?.name).toBe('d');
    expect(iterator.next().value?.name).toBe('c');
  });
});

describe("a finished execution's summary in the store", () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-summary-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const summaryFields = (summary: ExecutionSummary | undefined) => ({
    executionArn: summary?.executionArn,
    stateMachineArn: summary?.stateMachineArn,
    job: summary?.job,
    name: summary?.name,
    status: summary?.status,
    startDate: summary?.startDate,
    stopDate: summary?.stopDate,
    error: summary?.error,
    redriveCount: summary?.redriveCount,
    redriveDate: summary?.redriveDate,
    runtimePid: summary?.runtimePid,
  });

  it('gives back every field of the record it summarises, also after a reopen (kept compact in memory)', () => {
    // Prepare: one date that toISOString did not write, which must come back as written.
    const store = new ExecutionStore(dataDir);
    const running = record(MACHINE, 'nightly-20261101T0000Z', '2026-11-01T00:00:00.123Z', 'RUNNING');
    store.create(running, 'a', {});
    const finished: ExecutionRecord = {
      ...running,
      status: 'FAILED',
      stopDate: '2026-11-01T00:00:09Z',
      error: 'States.TaskFailed',
      redriveCount: 1,
      redriveDate: '2026-11-01T00:00:05.000Z',
    };

    // Act
    store.update(finished);
    const reopened = new ExecutionStore(dataDir);

    // Assess
    const expected = {
      executionArn: running.executionArn,
      stateMachineArn: MACHINE,
      job: running.job,
      name: 'nightly-20261101T0000Z',
      status: 'FAILED',
      startDate: '2026-11-01T00:00:00.123Z',
      stopDate: '2026-11-01T00:00:09Z',
      error: 'States.TaskFailed',
      redriveCount: 1,
      redriveDate: '2026-11-01T00:00:05.000Z',
      runtimePid: process.pid,
    };
    expect(summaryFields(store.summary(running.executionArn))).toEqual(expected);
    expect(summaryFields(reopened.summary(running.executionArn))).toEqual(expected);
    expect(summaryFields([...reopened.newestFirst(MACHINE)][0])).toEqual(expected);
    expect(reopened.has(running.executionArn)).toBe(true);
    expect(reopened.has(`${running.executionArn}x`)).toBe(false);
    expect(reopened.get(running.executionArn)?.input).toBe('{}');
  });

  it('finds an execution whose ARN does not end in its name (an older store)', () => {
    // Prepare
    const store = new ExecutionStore(dataDir);
    const odd = { ...record(MACHINE, 'renamed', '2026-11-01T00:00:00.000Z', 'RUNNING'), name: 'other' };
    store.create(odd, 'a', {});

    // Act
    store.update({ ...odd, status: 'SUCCEEDED', stopDate: '2026-11-01T00:00:01.000Z' });
    const reopened = new ExecutionStore(dataDir);

    // Assess
    expect(reopened.summary(odd.executionArn)?.executionArn).toBe(odd.executionArn);
    expect(reopened.summary(odd.executionArn)?.name).toBe('other');
    expect(names(reopened.newestFirst(MACHINE))).toEqual(['other']);
  });
});
