import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  type DescribedExecution,
  type ExecutionListItem,
  type ExecutionTask,
  executionTasks,
  fullHistory,
  type HistoryEvent,
  jobOfStateMachine,
  loadJobs,
  sfn,
  stopTask,
} from '../api.ts';
import {
  BASE,
  ErrorNote,
  executionHref,
  JsonBlock,
  Link,
  navigate,
  StateGraph,
  StatusBadge,
  useAsync,
  usePolling,
} from '../components.ts';
import {
  formatDuration,
  formatExecutionDuration,
  formatTimestamp,
  prettyJson,
  prettyValue,
} from '../format.ts';
import { analyseHistory, stateTypesOf } from '../history-analysis.ts';
import { isSkip } from './executions.ts';

interface Loaded {
  execution: DescribedExecution;
  definition: unknown;
  events: HistoryEvent[];
  tasks: ExecutionTask[];
}

async function loadExecution(executionArn: string, definition: unknown): Promise<Loaded> {
  const [execution, machine, events, tasks] = await Promise.all([
    sfn<DescribedExecution>('DescribeExecution', { executionArn }),
    definition === undefined
      ? sfn<{ definition: string }>('DescribeStateMachineForExecution', { executionArn })
      : Promise.resolve(undefined),
    fullHistory(executionArn),
    executionTasks(executionArn),
  ]);
  return {
    execution,
    definition: machine === undefined ? definition : (JSON.parse(machine.definition) as unknown),
    events,
    tasks,
  };
}

const REDRIVABLE = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** An execution's input as the start page takes it: `trigger` is set by whoever starts the run, not typed in. */
function editableInput(input: string | undefined): string {
  try {
    const value = JSON.parse(input ?? '{}') as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const { trigger: _trigger, ...rest } = value as Record<string, unknown>;
      return JSON.stringify(rest, null, 2);
    }
  } catch {
    // Not JSON: shown as it is, and the start page says what is wrong with it.
  }
  return input ?? '{}';
}

function eventDetails(event: HistoryEvent): Record<string, unknown> | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null)
      return value as Record<string, unknown>;
  }
  return undefined;
}

export function ExecutionPage(props: { executionArn: string }): VNode {
  const jobs = useAsync(loadJobs, 'jobs');
  const [data, setData] = useState<Loaded>();
  const [error, setError] = useState<Error>();
  const [selected, setSelected] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const [notice, setNotice] = useState<string>();
  const [confirmRedrive, setConfirmRedrive] = useState<ExecutionListItem[]>();
  const [busy, setBusy] = useState(false);

  const refresh = async () => {
    try {
      setData(await loadExecution(props.executionArn, data?.definition));
      setError(undefined);
    } catch (caught) {
      setError(caught as Error);
    }
  };
  useEffect(() => {
    setData(undefined);
    setSelected(undefined);
    setNotice(undefined);
    setActionError(undefined);
    void refresh();
  }, [props.executionArn]);
  const running = data?.execution.status === 'RUNNING';
  // After a stop the tasks still get SIGTERM and report their exit: keep reading until they have.
  const tasksStopping =
    data?.tasks.some((task) => task.source === 'ecs' && task.lastStatus !== 'STOPPED') ?? false;
  // Live while it runs: status, graph, events and task logs are re-read every 1.5 s.
  usePolling(refresh, 1500, running || tasksStopping, props.executionArn);

  if (data === undefined)
    return html`<${ErrorNote} error=${error} />${error ? null : html`<p aria-busy="true">Loading…</p>`}`;
  const { execution, definition, events, tasks } = data;
  const job = jobOfStateMachine(jobs.value ?? [], execution.stateMachineArn);
  const types = stateTypesOf(definition);
  const analysis = analyseHistory(events, execution.status, types);
  const selectedRun = selected === undefined ? undefined : analysis.states.get(selected);
  const startedAt = events[0]?.timestamp ?? execution.startDate;

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      await refresh();
    } catch (caught) {
      setActionError(
        caught instanceof ApiError ? new Error(`${caught.type}: ${caught.message}`) : (caught as Error),
      );
    } finally {
      setBusy(false);
    }
  };
  const stop = () =>
    act(async () => {
      if (!window.confirm(`Stop ${execution.name}? Its running tasks get SIGTERM, as ECS would.`)) return;
      await sfn('StopExecution', {
        executionArn: execution.executionArn,
        error: 'StoppedFromConsole',
        cause: 'Stopped from the local console',
      });
      setNotice('Stop requested.');
    });
  const stopOneTask = (task: ExecutionTask) =>
    act(async () => {
      const taskId = task.taskArn.split('/').at(-1) ?? task.taskArn;
      if (
        !window.confirm(
          `Stop task ${taskId}? ECS sends it SIGTERM (StopTask); the state that runs it fails, and so does the execution unless the workflow catches it.`,
        )
      )
        return;
      await stopTask(task.taskArn, 'Task stopped from the local console');
      setNotice(`Stop requested for task ${taskId}.`);
    });
  const redrive = (confirmed: boolean) =>
    act(async () => {
      if (!confirmed) {
        // The running check: a redrive next to a RUNNING execution of the same job would run the job twice.
        const others = await sfn<{ executions: ExecutionListItem[] }>('ListExecutions', {
          stateMachineArn: execution.stateMachineArn,
          statusFilter: 'RUNNING',
          maxResults: 10,
        });
        const blocking = others.executions.filter((other) => other.executionArn !== execution.executionArn);
        if (blocking.length > 0) {
          setConfirmRedrive(blocking);
          return;
        }
      }
      setConfirmRedrive(undefined);
      await sfn('RedriveExecution', { executionArn: execution.executionArn });
      setNotice('Redriven: it resumes from the state that did not finish.');
    });
  const sameInput = () =>
    navigate(`${BASE}/jobs/${encodeURIComponent(job)}/start`, { input: editableInput(execution.input) });

  const skipped = isSkip(execution);
  return html`<section aria-labelledby="execution-title">
    <p class="crumbs"><${Link} href=${`${BASE}/executions`}>Executions<//> / <${Link} href=${`${BASE}/executions?job=${encodeURIComponent(job)}`}>${job}<//></p>
    <h1 id="execution-title" class="execution-title">${execution.name}</h1>
    <dl class="summary">
      <div><dt>Status</dt><dd><span id="execution-status" aria-live="polite"><${StatusBadge} status=${execution.status} /></span>
        ${skipped ? html` <span class="tag tag-skip">skipped duplicate start</span>` : null}
        ${(execution.redriveCount ?? 0) > 0 ? html` <span class="tag tag-redrive">redriven ×${execution.redriveCount}</span>` : null}</dd></div>
      <div><dt>Job</dt><dd><${Link} href=${`${BASE}/jobs/${encodeURIComponent(job)}`}>${job}<//></dd></div>
      <div><dt>Started</dt><dd>${formatTimestamp(execution.startDate)}</dd></div>
      <div><dt>Duration</dt><dd>${formatExecutionDuration(execution)}</dd></div>
      ${execution.error ? html`<div><dt>Error</dt><dd class="mono" id="execution-error">${execution.error}</dd></div>` : null}
    </dl>
    ${execution.cause ? html`<div class="panel cause"><h2>Cause</h2><pre class="json" id="execution-cause">${prettyJson(execution.cause)}</pre></div>` : null}
    <div class="actions" role="group" aria-label="Actions">
      ${running ? html`<button type="button" class="danger" disabled=${busy} onClick=${stop}>Stop execution</button>` : null}
      ${REDRIVABLE.has(execution.status) ? html`<button type="button" disabled=${busy} onClick=${() => redrive(false)} title=${execution.redriveStatusReason ?? ''}>Redrive</button>` : null}
      <button type="button" onClick=${sameInput} disabled=${job === ''}>New execution with same input</button>
    </div>
    ${
      confirmRedrive
        ? html`<div class="panel warning" role="alertdialog" aria-labelledby="redrive-warning">
          <p id="redrive-warning">Another execution of ${job} is running: ${confirmRedrive.map((other) => html`<${Link} href=${executionHref(other.executionArn)}>${other.name}<//> `)}. A redrive now runs the job twice at once.</p>
          <button type="button" class="danger" onClick=${() => redrive(true)}>Redrive anyway</button>
          <button type="button" onClick=${() => setConfirmRedrive(undefined)}>Cancel</button></div>`
        : null
    }
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <${ErrorNote} error=${actionError ?? error} />
    <div class="columns graph-columns">
      <section class="panel" aria-labelledby="graph-title">
        <h2 id="graph-title">Graph</h2>
        <ul class="legend"><li><span class="swatch node-succeeded"></span>Succeeded</li><li><span class="swatch node-failed"></span>Failed</li><li><span class="swatch node-caught"></span>Failed, caught</li><li><span class="swatch node-running"></span>Running</li><li><span class="swatch node-aborted"></span>Aborted</li><li>↻ retried</li></ul>
        <${StateGraph} definition=${definition} status=${analysis} selected=${selected} onSelect=${setSelected} />
      </section>
      <section class="panel state-detail" aria-labelledby="state-title" aria-live="polite">
        <h2 id="state-title">${selected ?? 'State details'}</h2>
        ${
          selected === undefined
            ? html`<p class="muted">Select a state in the graph (click, or Tab then Enter) to see its input, output, error and cause.</p>`
            : selectedRun === undefined
              ? html`<p class="muted">This state did not run.</p>`
              : html`<p><${StatusBadge} status=${selectedRun.status} /> entered ${selectedRun.entered}×${selectedRun.retries > 0 ? `, retried ${selectedRun.retries}×` : ''}</p>
                ${selectedRun.error ? html`<h3>Error</h3><p class="mono" id="state-error">${selectedRun.error}</p>` : null}
                ${selectedRun.cause ? html`<h3>Cause</h3><${JsonBlock} text=${prettyJson(selectedRun.cause)} label="State cause" />` : null}
                <h3>Input</h3><${JsonBlock} text=${prettyJson(selectedRun.input)} label="State input" />
                <h3>Output</h3><${JsonBlock} text=${selectedRun.output === undefined ? '(none)' : prettyJson(selectedRun.output)} label="State output" />`
        }
        ${[...analysis.iterations].map(
          ([map, list]) =>
            html`<h3>${map}: iterations</h3><ol class="iterations" start="0">${list.map(
              (status, index) =>
                html`<li data-iteration=${index} data-status=${status}>#${index} <${StatusBadge} status=${status ?? 'ABORTED'} /></li>`,
            )}</ol>`,
        )}
      </section>
    </div>
    <div class="columns">
      <section class="panel" aria-labelledby="input-title"><h2 id="input-title">Input</h2><${JsonBlock} text=${prettyJson(execution.input)} label="Execution input" /></section>
      <section class="panel" aria-labelledby="output-title"><h2 id="output-title">Output</h2><${JsonBlock} text=${execution.output === undefined ? '(none yet)' : prettyJson(execution.output)} label="Execution output" /></section>
    </div>
    <section class="panel" aria-labelledby="tasks-title">
      <h2 id="tasks-title">ECS tasks (${tasks.length})</h2>
      ${tasks.length === 0 ? html`<p class="muted">No tasks ran.</p>` : tasks.map((task) => html`<${TaskPanel} task=${task} open=${tasks.length <= 3} busy=${busy} onStop=${() => stopOneTask(task)} />`)}
    </section>
    <section class="panel" aria-labelledby="events-title">
      <h2 id="events-title">Events (${events.length})</h2>
      <div class="table-wrap"><table class="events">
        <thead><tr><th scope="col">ID</th><th scope="col">Type</th><th scope="col">Step</th><th scope="col">Started after</th><th scope="col">Date and time</th></tr></thead>
        <tbody>${events.map((event) => {
          const details = eventDetails(event);
          return html`<tr class=${/Failed|TimedOut|Aborted/.test(event.type) ? 'event-bad' : ''}>
            <td>${event.id}</td>
            <td>${details ? html`<details><summary>${event.type}</summary><pre class="json">${prettyValue(details)}</pre></details>` : event.type}</td>
            <td>${analysis.stepOf.get(event.id) ?? ''}</td>
            <td>${formatDuration((event.timestamp - startedAt) * 1000)}</td>
            <td>${formatTimestamp(event.timestamp)}</td>
          </tr>`;
        })}</tbody>
      </table></div>
    </section>
  </section>`;
}

function TaskPanel(props: { task: ExecutionTask; open: boolean; busy: boolean; onStop: () => void }): VNode {
  const { task } = props;
  const taskId = task.taskArn.split('/').at(-1) ?? task.taskArn;
  const start = task.startedAt === null ? undefined : Date.parse(task.startedAt);
  const stop = task.stoppedAt === null ? undefined : Date.parse(task.stoppedAt);
  const duration = start === undefined ? undefined : (stop ?? Date.now()) - start;
  const sourceNote =
    task.source === 'ecs'
      ? 'Status from the ECS API (DescribeTasks)'
      : "Status from the runtime's task record: ECS no longer lists this task (stopped over an hour ago on the runtime's clock, which --speed makes faster, or by an earlier npm start)";
  return html`<article class="task" data-task=${taskId} data-status=${task.lastStatus} data-source=${task.source} aria-label=${`Task ${taskId}`}>
    <h3 class="mono">${taskId} <span class="muted small">${task.container}: ${task.command.join(' ')}</span></h3>
    <dl class="summary">
      <div><dt>Status</dt><dd class="task-status">${task.lastStatus} <span class="muted small" title=${sourceNote}>(${task.source === 'ecs' ? 'ECS API' : 'task record'})</span></dd></div>
      <div><dt>Exit code</dt><dd class="task-exit">${task.exitCode === null ? (task.source === 'ecs' && task.lastStatus !== 'STOPPED' ? 'running' : '–') : String(task.exitCode)}</dd></div>
      <div><dt>Stop</dt><dd class="task-stop">${task.stopCode ?? '–'}${task.stoppedReason ? `: ${task.stoppedReason}` : ''}</dd></div>
      <div><dt>Duration</dt><dd>${duration === undefined ? '–' : formatDuration(duration)}</dd></div>
    </dl>
    ${task.source === 'ecs' && task.lastStatus === 'RUNNING' ? html`<p class="actions"><button type="button" class="danger" disabled=${props.busy} onClick=${props.onStop} aria-label=${`Stop task ${taskId}`}>Stop task</button></p>` : null}
    <details open=${props.open && task.lines.length <= 60}>
      <summary>Logs (${task.lines.length} lines)</summary>
      <pre class="logs" tabindex="0" aria-label=${`Logs of task ${taskId}`}>${task.lines.map((line) => html`<span class=${`log-${line.stream}`}>${line.text}\n</span>`)}</pre>
    </details>
  </article>`;
}
