import { createServer, type Server, Socket } from 'node:net';
import { ListExecutionsCommand, type SFNClient, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { createStartClient, startScheduledExecution } from '../../local/scheduled-start.ts';
import { makeJob, REGION, taskDefinition, useTestRuntime, waitForStatus } from './helpers.ts';

/**
 * A TCP proxy in front of the real local runtime that misbehaves on the first connections:
 * 'drop' closes a connection before the request reaches the runtime, 'lose-answer' passes the
 * request on and closes the client's connection before the answer comes back, 'hang' passes the
 * request on and never answers, keeping the client's connection open.
 */
async function flakyProxy(target: string, faults: Array<'drop' | 'lose-answer' | 'hang'>): Promise<Server> {
  const { port } = new URL(target);
  const server = createServer((client: Socket) => {
    const fault = faults.shift();
    if (fault === 'drop') {
      client.once('data', () => client.destroy());
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(port), '127.0.0.1');
    // The runtime accepts only its own Host (DNS rebinding guard): name it, as a reverse proxy would.
    const ownPort = (server.address() as { port: number }).port;
    client.on('data', (chunk: Buffer) =>
      upstream.write(chunk.toString('latin1').replace(`127.0.0.1:${ownPort}`, `127.0.0.1:${port}`), 'latin1'),
    );
    if (fault === 'lose-answer') upstream.once('data', () => client.destroy());
    else if (fault === 'hang') upstream.resume();
    else upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Request time limits short enough for a test (the scheduler's own: START_REQUEST_TIMEOUTS). */
const TEST_TIMEOUTS = { connectionTimeout: 1_000, requestTimeout: 2_000 };

/** The scheduler's client (one attempt per send: every retry is the scheduler's) through the proxy. */
function clientThrough(server: Server): SFNClient {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return createStartClient(
    {
      endpoint: `http://127.0.0.1:${port}`,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    TEST_TIMEOUTS,
  );
}

describe('scheduled starts retry as EventBridge Scheduler does, without starting a run twice', () => {
  const local = useTestRuntime([
    { job: makeJob('hourly'), definition: taskDefinition({ timeoutSeconds: 30 }) },
  ]);
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });
  const input = { command: ['succeed'] };

  async function executionsNamed(name: string) {
    const listed = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.runtime.stateMachineArn('hourly') }),
    );
    return (listed.executions ?? []).filter((execution) => execution.name === name);
  }

  it('retries connections that failed before the runtime saw the request, and starts the run once', async () => {
    // Prepare
    const proxy = await flakyProxy(local.runtime.endpoint, ['drop', 'drop']);
    servers.push(proxy);
    const lines: string[] = [];
    const name = 'hourly-20261201T0000Z';

    // Act
    await startScheduledExecution(
      clientThrough(proxy),
      { stateMachineArn: local.runtime.stateMachineArn('hourly'), name, input },
      { log: (line) => lines.push(line), delayMs: () => 50 },
    );

    // Assess
    expect(lines.filter((line) => line.includes('retry'))).toHaveLength(2);
    expect(lines.at(-1)).toBe(`scheduler: ${name} started on attempt 3`);
    expect(await executionsNamed(name)).toHaveLength(1);
  });

  it('after an answer that was lost, counts the run the earlier attempt started and starts nothing more', async () => {
    // Prepare
    const proxy = await flakyProxy(local.runtime.endpoint, ['lose-answer']);
    servers.push(proxy);
    const lines: string[] = [];
    const name = 'hourly-20261201T0100Z';
    const stateMachineArn = local.runtime.stateMachineArn('hourly');

    // Act: the retry waits until the run the lost attempt started has ended.
    await startScheduledExecution(
      clientThrough(proxy),
      { stateMachineArn, name, input },
      {
        log: (line) => lines.push(line),
        delayMs: () => 1500,
      },
    );

    // Assess
    const executions = await executionsNamed(name);
    expect(executions).toHaveLength(1);
    await waitForStatus(local.sfn, executions[0]?.executionArn ?? '');
    expect(lines.at(-1)).toBe(
      `scheduler: ${name} was started by attempt 1, whose answer was lost; not started again`,
    );
  });

  // The first attempt waits out the request timeout (TEST_TIMEOUTS: 2 s).
  it('gives up on a request that is never answered and retries it, and the run starts once', {
    timeout: 30_000,
  }, async () => {
    // Prepare
    const proxy = await flakyProxy(local.runtime.endpoint, ['hang']);
    servers.push(proxy);
    const lines: string[] = [];
    const name = 'hourly-20261201T0300Z';

    // Act: the runtime starts the run, its answer never arrives, the request times out.
    await startScheduledExecution(
      clientThrough(proxy),
      { stateMachineArn: local.runtime.stateMachineArn('hourly'), name, input },
      { log: (line) => lines.push(line), delayMs: () => 1500 },
    );

    // Assess
    const executions = await executionsNamed(name);
    expect(executions).toHaveLength(1);
    await waitForStatus(local.sfn, executions[0]?.executionArn ?? '');
    expect(lines).toEqual([
      expect.stringContaining(
        `scheduler: starting ${name} failed (@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${TEST_TIMEOUTS.requestTimeout} ms requestTimeout.); retry 1 in 1.5 s`,
      ),
      `scheduler: ${name} was started by attempt 1, whose answer was lost; not started again`,
    ]);
  });

  it('does not retry what no retry can fix, and stops retrying when the scheduler stops', async () => {
    // Prepare
    const passing = await flakyProxy(local.runtime.endpoint, []);
    const direct = clientThrough(passing);
    const dropping = await flakyProxy(local.runtime.endpoint, ['drop', 'drop', 'drop', 'drop']);
    servers.push(passing, dropping);
    const stopping = new AbortController();
    const lines: string[] = [];

    // Act
    const missing = startScheduledExecution(
      direct,
      {
        stateMachineArn: local.runtime.stateMachineArn('hourly').replace('hourly', 'no-such-job'),
        name: 'no-such-job-20261201T0000Z',
        input,
      },
      { log: (line) => lines.push(line) },
    );
    const stopped = startScheduledExecution(
      clientThrough(dropping),
      { stateMachineArn: local.runtime.stateMachineArn('hourly'), name: 'hourly-20261201T0200Z', input },
      {
        signal: stopping.signal,
        log: (line) => {
          lines.push(line);
          stopping.abort();
        },
        delayMs: () => 60_000,
      },
    );

    // Assess
    const [missingResult, stoppedResult] = await Promise.allSettled([missing, stopped]);
    expect(missingResult).toMatchObject({ status: 'rejected', reason: expect.any(StateMachineDoesNotExist) });
    expect(stoppedResult).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ code: 'ECONNRESET' }),
    });
    expect(lines.filter((line) => line.includes('retry'))).toEqual([
      expect.stringContaining('scheduler: starting hourly-20261201T0200Z failed ('),
    ]);
    expect(await executionsNamed('hourly-20261201T0200Z')).toEqual([]);
  });
});
