import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  type DescribedExecution,
  type ExecutionListItem,
  type ExecutionStatus,
  type JobSummary,
  jobOfStateMachine,
  loadJobs,
  sfn,
} from '../api.ts';
import {
  BASE,
  ErrorNote,
  executionHref,
  Link,
  navigate,
  StatusBadge,
  useAsync,
  usePolling,
} from '../components.ts';
import { formatExecutionDuration, formatTimestamp } from '../format.ts';

const PAGE_SIZE = 25;
const STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** Where one state machine's listing stands: fetched-but-unshown executions and the API's nextToken. */
interface SourceCursor {
  stateMachineArn: string;
  buffered: ExecutionListItem[];
  nextToken?: string;
  exhausted: boolean;
}
type PageCursor = SourceCursor[];

const newestFirst = (a: ExecutionListItem, b: ExecutionListItem) =>
  b.startDate - a.startDate || b.name.localeCompare(a.name);

/**
 * One page across the chosen state machines, newest first. Each machine is read through
 * ListExecutions with its nextToken, at most a page at a time, and the heads are merged:
 * a page never reads more than a page per machine, whatever the store holds.
 */
export async function loadPage(
  cursor: PageCursor,
  statusFilter: ExecutionStatus | undefined,
): Promise<{ rows: ExecutionListItem[]; next: PageCursor | undefined }> {
  const sources = cursor.map((source) => ({ ...source, buffered: [...source.buffered] }));
  await Promise.all(
    sources.map(async (source) => {
      if (source.exhausted || source.buffered.length >= PAGE_SIZE) return;
      const page = await sfn<{ executions: ExecutionListItem[]; nextToken?: string }>('ListExecutions', {
        stateMachineArn: source.stateMachineArn,
        maxResults: PAGE_SIZE,
        ...(statusFilter === undefined ? {} : { statusFilter }),
        ...(source.nextToken === undefined ? {} : { nextToken: source.nextToken }),
      });
      source.buffered.push(...page.executions);
      source.nextToken = page.nextToken;
      source.exhausted = page.nextToken === undefined;
    }),
  );
  const rows: ExecutionListItem[] = [];
  while (rows.length < PAGE_SIZE) {
    let best: SourceCursor | undefined;
    for (const source of sources) {
      const head = source.buffered[0];
      if (
        head !== undefined &&
        (best === undefined || newestFirst(head, best.buffered[0] as ExecutionListItem) < 0)
      )
        best = source;
    }
    const taken = best?.buffered.shift();
    if (taken === undefined) break;
    rows.push(taken);
  }
  const more = sources.some((source) => source.buffered.length > 0 || !source.exhausted);
  return { rows, next: more ? sources : undefined };
}

function initialCursor(jobs: readonly JobSummary[], job: string | undefined): PageCursor {
  return jobs
    .filter((candidate) => job === undefined || candidate.name === job)
    .map((candidate) => ({ stateMachineArn: candidate.stateMachineArn, buffered: [], exhausted: false }));
}

/** A skipped duplicate start succeeds with the guard's decision as output; terminal outputs never change, so they are cached. */
const outputs = new Map<string, Promise<DescribedExecution>>();
function described(executionArn: string): Promise<DescribedExecution> {
  let found = outputs.get(executionArn);
  if (found === undefined) {
    found = sfn<DescribedExecution>('DescribeExecution', { executionArn });
    outputs.set(executionArn, found);
  }
  return found;
}

export function isSkip(execution: DescribedExecution): boolean {
  if (execution.status !== 'SUCCEEDED' || execution.output === undefined) return false;
  try {
    return (JSON.parse(execution.output) as { decision?: unknown }).decision === 'skip';
  } catch {
    return false;
  }
}

export function ExecutionsPage(props: { query: URLSearchParams }): VNode {
  const jobs = useAsync(loadJobs, 'jobs');
  const job = props.query.get('job') ?? undefined;
  const statusText = props.query.get('status') ?? '';
  const status = (STATUSES as string[]).includes(statusText) ? (statusText as ExecutionStatus) : undefined;
  const filterKey = `${job ?? ''}|${status ?? ''}`;
  const [cursors, setCursors] = useState<PageCursor[]>([]);
  const [pageIndex, setPageIndex] = useState(0);
  const [page, setPage] = useState<{ rows: ExecutionListItem[]; next: PageCursor | undefined }>();
  const [skips, setSkips] = useState<Set<string>>(new Set());
  const [error, setError] = useState<Error>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const loading = useRef(false);
  const generation = useRef(0);

  useEffect(() => {
    if (jobs.value === undefined) return;
    setCursors([initialCursor(jobs.value, job)]);
    setPageIndex(0);
    setPage(undefined);
  }, [jobs.value, filterKey]);

  // A page change always loads; a poll is skipped while a load runs. Only the latest load's result is shown.
  const load = async (fromPoll: boolean) => {
    const cursor = cursors[pageIndex];
    if (cursor === undefined || (fromPoll && loading.current)) return;
    const mine = ++generation.current;
    loading.current = true;
    try {
      const loaded = await loadPage(cursor, status);
      // Later pages are read from buffers fetched earlier: re-describe what was running then.
      loaded.rows = await Promise.all(
        loaded.rows.map(async (row) =>
          row.status === 'RUNNING' && pageIndex > 0
            ? {
                ...row,
                ...(await sfn<DescribedExecution>('DescribeExecution', { executionArn: row.executionArn })),
              }
            : row,
        ),
      );
      if (mine !== generation.current) return;
      setPage(loaded);
      setError(undefined);
      setUpdatedAt(new Date());
      const succeeded = loaded.rows.filter((row) => row.status === 'SUCCEEDED');
      const found = await Promise.all(succeeded.map((row) => described(row.executionArn)));
      if (mine !== generation.current) return;
      setSkips(new Set(found.filter(isSkip).map((execution) => execution.executionArn)));
    } catch (caught) {
      if (mine === generation.current) setError(caught as Error);
    } finally {
      if (mine === generation.current) loading.current = false;
    }
  };
  useEffect(() => {
    void load(false);
  }, [cursors, pageIndex]);
  // Live: the page is re-read every 2 s (the first page shows new starts as they come).
  usePolling(() => load(true), 2000, cursors.length > 0, `${filterKey}|${pageIndex}|${cursors.length}`);

  const setFilter = (name: 'job' | 'status', value: string) => {
    const query = new URLSearchParams(props.query);
    if (value === '') query.delete(name);
    else query.set(name, value);
    const text = query.toString();
    navigate(`${BASE}/executions${text ? `?${text}` : ''}`);
  };
  const nextPage = () => {
    if (page?.next === undefined) return;
    const next = page.next;
    setCursors((list) => [...list.slice(0, pageIndex + 1), next]);
    setPageIndex(pageIndex + 1);
  };

  return html`<section aria-labelledby="executions-title">
    <h1 id="executions-title">Executions</h1>
    <form class="filters" onSubmit=${(event: Event) => event.preventDefault()}>
      <label for="filter-job">Job</label>
      <select id="filter-job" value=${job ?? ''} onChange=${(event: Event) => setFilter('job', (event.target as HTMLSelectElement).value)}>
        <option value="">All jobs</option>
        ${(jobs.value ?? []).map((candidate) => html`<option value=${candidate.name}>${candidate.name}</option>`)}
      </select>
      <label for="filter-status">Status</label>
      <select id="filter-status" value=${status ?? ''} onChange=${(event: Event) => setFilter('status', (event.target as HTMLSelectElement).value)}>
        <option value="">Any status</option>
        ${STATUSES.map((candidate) => html`<option value=${candidate}>${candidate}</option>`)}
      </select>
      <span class="muted small live">${updatedAt ? `Live · updated ${updatedAt.toLocaleTimeString()}` : ''}</span>
    </form>
    <${ErrorNote} error=${jobs.error ?? error} />
    ${
      page === undefined
        ? html`<p aria-busy="true">Loading…</p>`
        : page.rows.length === 0
          ? html`<p class="muted">No executions${job ? ` of ${job}` : ''}${status ? ` with status ${status}` : ''}.</p>`
          : html`<div class="table-wrap"><table class="executions">
        <thead><tr><th scope="col">Name</th><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead>
        <tbody>${page.rows.map((row) => {
          const skipped = skips.has(row.executionArn);
          return html`<tr data-execution=${row.name} data-status=${row.status} data-start=${row.startDate}>
            <th scope="row"><${Link} href=${executionHref(row.executionArn)}>${row.name}<//></th>
            <td>${jobOfStateMachine(jobs.value ?? [], row.stateMachineArn)}</td>
            <td><${StatusBadge} status=${row.status} />
              ${skipped ? html` <span class="tag tag-skip" title="A duplicate start: another execution of the job was running (concurrency forbid)">skipped duplicate</span>` : null}
              ${(row.redriveCount ?? 0) > 0 ? html` <span class="tag tag-redrive">redriven ×${row.redriveCount}</span>` : null}</td>
            <td>${formatTimestamp(row.startDate)}</td>
            <td>${formatExecutionDuration(row)}</td>
          </tr>`;
        })}</tbody>
      </table></div>`
    }
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${pageIndex === 0} onClick=${() => setPageIndex((index) => Math.max(0, index - 1))}>Newer</button>
      <span>Page ${pageIndex + 1}</span>
      <button type="button" disabled=${page?.next === undefined} onClick=${nextPage}>Older</button>
    </nav>
  </section>`;
}
