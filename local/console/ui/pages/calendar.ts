import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { getJson, loadJobs } from '../api.ts';
import { BASE, ErrorNote, Link, useAsync } from '../components.ts';
import { formatZoned, zonedParts } from '../format.ts';

interface CalendarRun {
  job: string;
  at: string;
}

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

/** Instant of local midnight of `date` (YYYY-MM-DD) in `zone` (searches the offset; DST-safe to the hour). */
function zonedMidnight(date: string, zone: string): Date {
  const utcGuess = new Date(`${date}T00:00:00Z`);
  for (let shift = -14; shift <= 14; shift++) {
    const candidate = new Date(utcGuess.getTime() - shift * 3600_000);
    const parts = zonedParts(candidate, zone);
    if (parts.date === date && parts.hour === 0) return candidate;
  }
  return utcGuess;
}

function addDays(date: string, days: number): string {
  const value = new Date(`${date}T12:00:00Z`);
  value.setUTCDate(value.getUTCDate() + days);
  return value.toISOString().slice(0, 10);
}

function dayHeading(midnight: Date, zone: string): string {
  const text = formatZoned(midnight, zone);
  return `${text.slice(0, 10)} ${text.slice(17)}`;
}

function heat(count: number, peak: number): string {
  if (count === 0) return 'heat-0';
  const level = Math.min(4, Math.ceil((count / Math.max(1, peak)) * 4));
  return `heat-${level}`;
}

export function CalendarPage(): VNode {
  const jobs = useAsync(loadJobs, 'jobs');
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [zone, setZone] = useState(browserZone);
  const [view, setView] = useState<'day' | 'week'>('week');
  const [day, setDay] = useState(() => zonedParts(new Date(), browserZone).date);
  const [selected, setSelected] = useState<{ date: string; hour: number }>();
  const days = view === 'day' ? [day] : Array.from({ length: 7 }, (_, index) => addDays(day, index));
  const from = zonedMidnight(days[0] ?? day, zone);
  const to = zonedMidnight(addDays(days.at(-1) ?? day, 1), zone);
  const runs = useAsync(
    () =>
      getJson<{ runs: CalendarRun[]; truncated: boolean }>(
        `/_local/console/calendar?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`,
      ),
    `${from.toISOString()}|${to.toISOString()}`,
  );
  const zones = [...new Set([browserZone, 'UTC', ...(jobs.value ?? []).map((job) => job.timezone)])].sort();

  // Jobs that run every hour or more often would hide the peaks: they are listed apart, not counted.
  const perJob = new Map<string, number>();
  for (const run of runs.value?.runs ?? []) perJob.set(run.job, (perJob.get(run.job) ?? 0) + 1);
  const frequent = new Set([...perJob].filter(([, count]) => count >= 24 * days.length).map(([job]) => job));
  const cells = new Map<string, CalendarRun[]>();
  for (const run of runs.value?.runs ?? []) {
    if (frequent.has(run.job)) continue;
    const parts = zonedParts(new Date(run.at), zone);
    const key = `${parts.date} ${parts.hour}`;
    const list = cells.get(key) ?? [];
    list.push(run);
    cells.set(key, list);
  }
  const peak = Math.max(0, ...[...cells.values()].map((list) => list.length));
  const monthStart = (() => {
    const today = zonedParts(new Date(), zone).date;
    const next = new Date(`${today.slice(0, 7)}-01T12:00:00Z`);
    next.setUTCMonth(next.getUTCMonth() + 1);
    return next.toISOString().slice(0, 10);
  })();
  const selectedRuns = selected ? (cells.get(`${selected.date} ${selected.hour}`) ?? []) : [];

  return html`<section aria-labelledby="calendar-title">
    <h1 id="calendar-title">Schedule calendar</h1>
    <p class="lede">Runs of every enabled job per hour, in the zone you choose. Darker cells start more jobs at once.</p>
    <form class="filters" onSubmit=${(event: Event) => event.preventDefault()}>
      <label for="calendar-zone">Zone</label>
      <select id="calendar-zone" value=${zone} onChange=${(event: Event) => setZone((event.target as HTMLSelectElement).value)}>
        ${zones.map((candidate) => html`<option value=${candidate}>${candidate}</option>`)}
      </select>
      <label for="calendar-day">From</label>
      <input id="calendar-day" type="date" value=${day} onChange=${(event: Event) => setDay((event.target as HTMLInputElement).value || day)} />
      <div role="group" aria-label="View" class="toggle">
        <button type="button" aria-pressed=${view === 'day'} onClick=${() => setView('day')}>Day</button>
        <button type="button" aria-pressed=${view === 'week'} onClick=${() => setView('week')}>Week</button>
      </div>
      <button type="button" onClick=${() => setDay(addDays(day, view === 'day' ? -1 : -7))}>Earlier</button>
      <button type="button" onClick=${() => setDay(addDays(day, view === 'day' ? 1 : 7))}>Later</button>
      <button type="button" onClick=${() => setDay(view === 'day' ? monthStart : addDays(monthStart, -1))}>Next month start (${monthStart})</button>
    </form>
    <${ErrorNote} error=${jobs.error ?? runs.error} />
    ${runs.value?.truncated ? html`<p class="muted">Showing the first 20,000 runs only.</p>` : null}
    ${frequent.size > 0 ? html`<p class="muted small" id="frequent-jobs">Not counted (they start every hour or more often): ${[...frequent].sort().join(', ')}.</p>` : null}
    <div class="table-wrap"><table class="calendar">
      <caption class="visually-hidden">Runs per hour in ${zone}</caption>
      <thead><tr><th scope="col">Hour</th>${days.map((date) => html`<th scope="col">${dayHeading(zonedMidnight(date, zone), zone)}</th>`)}</tr></thead>
      <tbody>${HOURS.map(
        (hour) =>
          html`<tr><th scope="row">${String(hour).padStart(2, '0')}:00</th>${days.map((date) => {
            const list = cells.get(`${date} ${hour}`) ?? [];
            const isSelected = selected?.date === date && selected.hour === hour;
            return html`<td class=${`${heat(list.length, peak)}${isSelected ? ' selected' : ''}`}>${
              list.length === 0
                ? ''
                : html`<button type="button" class="cell" aria-pressed=${isSelected} aria-label=${`${list.length} runs on ${date} at ${String(hour).padStart(2, '0')}:00`}
                  title=${[...new Set(list.map((run) => run.job))].join(', ')} onClick=${() => setSelected({ date, hour })}>${list.length}</button>`
            }</td>`;
          })}</tr>`,
      )}</tbody>
    </table></div>
    ${
      selected
        ? html`<section class="panel" aria-labelledby="cell-title"><h2 id="cell-title">${selected.date} ${String(selected.hour).padStart(2, '0')}:00–${String(selected.hour).padStart(2, '0')}:59 (${zone})</h2>
          <ul>${selectedRuns.map((run) => html`<li><time datetime=${run.at}>${formatZoned(new Date(run.at), zone).slice(11, 16)}</time> <${Link} href=${`${BASE}/jobs/${encodeURIComponent(run.job)}`}>${run.job}<//></li>`)}</ul></section>`
        : null
    }
  </section>`;
}
