import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { type ExecutionListItem, getJson, type JobDetail, sfn } from '../api.ts';
import {
  BASE,
  DurationBars,
  ErrorNote,
  Link,
  runBars,
  StateGraph,
  useAsync,
  usePolling,
} from '../components.ts';
import { formatRelative, formatZoned, type Language } from '../format.ts';

const TIMELINE_RUNS = 60;
const ORIGIN_NOTE = { job: '', defaults: '_defaults.yml', 'built-in': 'built-in default' } as const;

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function JobPage(props: { name: string; language: Language }): VNode {
  const detail = useAsync(
    () => getJson<JobDetail>(`/_local/console/jobs/${encodeURIComponent(props.name)}`),
    props.name,
  );
  const definition = useAsync(async () => {
    if (detail.value === undefined) return undefined;
    const described = await sfn<{ definition: string }>('DescribeStateMachine', {
      stateMachineArn: detail.value.stateMachineArn,
    });
    return JSON.parse(described.definition) as unknown;
  }, detail.value?.stateMachineArn);
  const runs = useAsync(async () => {
    if (detail.value === undefined) return [];
    const page = await sfn<{ executions: ExecutionListItem[] }>('ListExecutions', {
      stateMachineArn: detail.value.stateMachineArn,
      maxResults: TIMELINE_RUNS,
    });
    return page.executions;
  }, detail.value?.stateMachineArn);
  usePolling(async () => runs.reload(), 5000, detail.value !== undefined, detail.value?.stateMachineArn);

  const job = detail.value;
  if (job === undefined)
    return html`<${ErrorNote} error=${detail.error} />${detail.error ? null : html`<p aria-busy="true">Loading…</p>`}`;
  const bars = runBars(runs.value ?? [], job.timezone);
  return html`<section aria-labelledby="job-title">
    <p class="crumbs"><${Link} href=${`${BASE}/`}>Jobs<//> / ${job.name}</p>
    <h1 id="job-title">${job.name}</h1>
    <p class="lede">${job.description}</p>
    <p class="actions">
      <${Link} class="button primary" href=${`${BASE}/jobs/${encodeURIComponent(job.name)}/start`}>Start execution<//>
      <${Link} class="button" href=${`${BASE}/executions?job=${encodeURIComponent(job.name)}`}>Executions<//>
    </p>
    <div class="columns">
      <section aria-labelledby="spec-title" class="panel">
        <h2 id="spec-title">Effective settings</h2>
        <p class="muted small">From <code>${job.sourceFile}</code>; values marked come from <code>_defaults.yml</code> or the built-in defaults (as <code>batchctl show</code> marks them).</p>
        <table class="settings">
          <thead><tr><th scope="col">Setting</th><th scope="col">Value</th><th scope="col">From</th></tr></thead>
          <tbody>${job.settings.map(
            (setting) => html`<tr class=${setting.depth === 1 ? 'nested' : ''} data-origin=${setting.origin}>
              <th scope="row">${setting.depth === 1 ? html`<span class="indent" aria-hidden="true"></span>` : null}${setting.key}</th>
              <td class="mono">${setting.value === undefined ? '' : valueText(setting.value)}</td>
              <td>${ORIGIN_NOTE[setting.origin] ? html`<span class="origin">${ORIGIN_NOTE[setting.origin]}</span>` : null}</td>
            </tr>`,
          )}</tbody>
        </table>
      </section>
      <section aria-labelledby="next-title" class="panel">
        <h2 id="next-title">Next 10 runs</h2>
        <p lang=${props.language}>${job.scheduleInWords[props.language]} <span class="muted mono">${job.schedule}</span> (${job.timezone})</p>
        ${job.enabled ? null : html`<p class="muted">Disabled: these runs do not happen until it is enabled.</p>`}
        ${job.scheduledHere || !job.enabled ? null : html`<p class="muted small">The local scheduler does not run this job now (--no-schedule or --only); times are what EventBridge Scheduler would do.</p>`}
        <ol class="next-runs">${job.nextRuns.map((run) => {
          const at = new Date(run);
          return html`<li><time datetime=${run}>${formatZoned(at, job.timezone, true)}</time> <span class="muted small">(${formatRelative(at, props.language)}; ${formatZoned(at, 'UTC')} UTC)</span></li>`;
        })}</ol>
      </section>
    </div>
    <section aria-labelledby="timeline-title" class="panel">
      <h2 id="timeline-title">Recent runs</h2>
      <p class="muted small">Duration of each of the last ${bars.length} runs, oldest on the left, coloured by status. Select a bar to open the run.</p>
      <${ErrorNote} error=${runs.error} />
      ${bars.length === 0 ? html`<p class="muted">No runs yet.</p>` : html`<${DurationBars} bars=${bars} width=${Math.min(900, Math.max(240, bars.length * 16))} height=${90} label=${`Run durations of ${job.name}`} />`}
      <ul class="legend"><li><span class="swatch bar-succeeded"></span>Succeeded</li><li><span class="swatch bar-failed"></span>Failed</li><li><span class="swatch bar-timed_out"></span>Timed out</li><li><span class="swatch bar-aborted"></span>Aborted</li><li><span class="swatch bar-running"></span>Running</li></ul>
    </section>
    <section aria-labelledby="graph-title" class="panel">
      <h2 id="graph-title">State machine</h2>
      <${ErrorNote} error=${definition.error} />
      ${definition.value === undefined ? null : html`<${StateGraph} definition=${definition.value} />`}
    </section>
  </section>`;
}
