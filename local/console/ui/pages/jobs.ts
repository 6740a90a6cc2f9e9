import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type ExecutionListItem, type JobSummary, loadJobs, sfn } from '../api.ts';
import {
  BASE,
  DurationBars,
  ErrorNote,
  executionHref,
  Link,
  runBars,
  StatusBadge,
  useAsync,
  usePolling,
} from '../components.ts';
import { formatExecutionDuration, formatRelative, formatZoned, type Language } from '../format.ts';

const RECENT = 12;

/** Recent executions of every job (one ListExecutions page each, never the whole store). */
async function recentRuns(jobs: readonly JobSummary[]): Promise<Map<string, ExecutionListItem[]>> {
  const entries = await Promise.all(
    jobs.map(async (job) => {
      const page = await sfn<{ executions: ExecutionListItem[] }>('ListExecutions', {
        stateMachineArn: job.stateMachineArn,
        maxResults: RECENT,
      });
      return [job.name, page.executions] as const;
    }),
  );
  return new Map(entries);
}

export function JobsPage(props: { language: Language }): VNode {
  const jobs = useAsync(loadJobs, 'jobs');
  const [runs, setRuns] = useState<Map<string, ExecutionListItem[]>>();
  const [error, setError] = useState<Error>();
  const [, setTick] = useState(0);
  const refresh = async () => {
    if (jobs.value === undefined) return;
    try {
      setRuns(await recentRuns(jobs.value));
      setTick((tick) => tick + 1);
    } catch (caught) {
      setError(caught as Error);
    }
  };
  useEffect(() => {
    void refresh();
  }, [jobs.value]);
  usePolling(refresh, 5000, jobs.value !== undefined, jobs.value);

  const ja = props.language === 'ja';
  return html`<section aria-labelledby="jobs-title">
    <h1 id="jobs-title">Jobs</h1>
    <p class="lede">Every job in <code>schedules/</code>. Times are in each job's own zone.</p>
    <${ErrorNote} error=${jobs.error ?? error} />
    ${
      jobs.value === undefined
        ? html`<p aria-busy="true">Loading…</p>`
        : html`<div class="table-wrap"><table class="jobs">
      <thead><tr>
        <th scope="col">Job</th><th scope="col">Owner</th><th scope="col">${ja ? 'スケジュール' : 'Schedule'}</th>
        <th scope="col">Zone</th><th scope="col">Enabled</th><th scope="col">Next run</th>
        <th scope="col">Last run</th><th scope="col">Recent durations</th><th scope="col"><span class="visually-hidden">Actions</span></th>
      </tr></thead>
      <tbody>
        ${jobs.value.map((job) => html`<${JobRow} job=${job} runs=${runs?.get(job.name)} language=${props.language} />`)}
      </tbody>
    </table></div>`
    }
  </section>`;
}

function JobRow(props: {
  job: JobSummary;
  runs: ExecutionListItem[] | undefined;
  language: Language;
}): VNode {
  const { job, runs, language } = props;
  const last = runs?.[0];
  const next = job.nextRun === null ? undefined : new Date(job.nextRun);
  const bars = runBars(runs ?? []);
  return html`<tr data-job=${job.name}>
    <th scope="row"><${Link} href=${`${BASE}/jobs/${encodeURIComponent(job.name)}`}>${job.name}<//><div class="muted small">${job.description}</div></th>
    <td>${job.owner.team}<div class="muted small">${job.owner.slackChannel}</div></td>
    <td class="schedule-words" lang=${language}>${job.scheduleInWords[language]}<div class="muted small mono" lang="en">${job.schedule}</div></td>
    <td>${job.timezone}</td>
    <td>${job.enabled ? 'Yes' : html`<span class="muted">No</span>`}</td>
    <td class="next-run">${
      next === undefined
        ? html`<span class="muted">${job.enabled ? 'none' : 'disabled'}</span>`
        : html`<span>${formatRelative(next, language)}</span><div class="small"><time datetime=${next.toISOString()}>${formatZoned(next, job.timezone, true)}</time></div>${
            job.scheduledHere ? null : html`<div class="muted small">not scheduled by this npm start</div>`
          }`
    }</td>
    <td>${
      last === undefined
        ? html`<span class="muted">never</span>`
        : html`<${Link} href=${executionHref(last.executionArn)}><${StatusBadge} status=${last.status} /><//><div class="small">${formatExecutionDuration(last)}</div>`
    }</td>
    <td><${DurationBars} bars=${bars} width=${96} height=${28} label=${`Durations of the last ${bars.length} runs of ${job.name}`} /></td>
    <td><${Link} class="button" href=${`${BASE}/jobs/${encodeURIComponent(job.name)}/start`}>Start execution<//></td>
  </tr>`;
}
