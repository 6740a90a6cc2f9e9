import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, loadJobs, postJson, sfn } from '../api.ts';
import { BASE, ErrorNote, executionHref, Link, navigate, useAsync } from '../components.ts';

interface Validation {
  problems: string[];
  input: unknown;
  name: string;
}

/** Execution names: 1-80 of [A-Za-z0-9_-] (the AWS rule, kept to what CloudWatch logging accepts). */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function StartPage(props: { name: string; prefill?: string }): VNode {
  const jobs = useAsync(loadJobs, 'jobs');
  const job = jobs.value?.find((candidate) => candidate.name === props.name);
  // Until the job list arrives the editor is read-only (and empty unless prefilled): were it
  // editable, the job's default input would replace its text under an edit in progress (a
  // selection made to type over collapses, and the typing lands after the default, as invalid JSON).
  const loading = job === undefined;
  const initial =
    props.prefill ?? (job === undefined ? '' : JSON.stringify({ params: job.defaultInput ?? {} }, null, 2));
  const [text, setText] = useState<string | undefined>(undefined);
  const [executionName, setExecutionName] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [nameProblem, setNameProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error>();
  const value = text ?? initial;

  if (jobs.value !== undefined && job === undefined) {
    return html`<${ErrorNote} error=${new Error(`No job ${props.name} in schedules/`)} />`;
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    if (job === undefined) return;
    setFailure(undefined);
    setNameProblem(undefined);
    const name = executionName.trim();
    if (name !== '' && !EXECUTION_NAME.test(name)) {
      setNameProblem(
        'Use 1-80 letters, digits, "-" or "_" (no spaces), or leave it empty for a generated name.',
      );
      return;
    }
    setBusy(true);
    try {
      // The same rule as every entry point (batchctl run, the scheduler's input), checked before anything starts.
      const checked = await postJson<Validation>('/_local/console/validate-input', {
        job: job.name,
        input: value,
      });
      setProblems(checked.problems);
      if (checked.problems.length > 0) return;
      const started = await sfn<{ executionArn: string }>('StartExecution', {
        stateMachineArn: job.stateMachineArn,
        name: name === '' ? checked.name : name,
        input: JSON.stringify(checked.input),
      });
      navigate(executionHref(started.executionArn));
    } catch (error) {
      setFailure(error instanceof ApiError ? new Error(`${error.type}: ${error.message}`) : (error as Error));
    } finally {
      setBusy(false);
    }
  };

  const invalid = problems.length > 0;
  return html`<section aria-labelledby="start-title">
    <p class="crumbs"><${Link} href=${`${BASE}/`}>Jobs<//> / <${Link} href=${`${BASE}/jobs/${encodeURIComponent(props.name)}`}>${props.name}<//> / Start</p>
    <h1 id="start-title">Start execution: ${props.name}</h1>
    <${ErrorNote} error=${jobs.error ?? failure} />
    <form class="start-form" onSubmit=${submit} novalidate>
      <label for="execution-input">Input (JSON)</label>
      <p id="input-help" class="muted small">
        <code>{"scheduledTime"?: ISO instant with zone, "params"?: ${'{…}'}}</code>. <code>params</code> may override the keys the
        job declares in <code>input</code> of its schedule file, with values of the same type.
      </p>
      <textarea id="execution-input" name="input" rows="14" spellcheck="false" autocomplete="off"
        readOnly=${loading} aria-busy=${loading ? 'true' : 'false'} placeholder=${jobs.value === undefined && jobs.error === undefined ? 'Loading the job…' : undefined}
        aria-describedby=${invalid ? 'input-help input-problems' : 'input-help'} aria-invalid=${invalid ? 'true' : 'false'}
        value=${value} onInput=${(event: Event) => setText((event.target as HTMLTextAreaElement).value)}></textarea>
      ${
        invalid
          ? html`<div id="input-problems" class="problems" role="alert"><p>Nothing was started. Fix the input:</p><ul class="problem-list">${problems.map((problem) => html`<li>${problem}</li>`)}</ul></div>`
          : null
      }
      <label for="execution-name">Execution name <span class="muted">(optional)</span></label>
      <input id="execution-name" name="name" type="text" value=${executionName} placeholder=${`${props.name}-manual-<UTC time>`}
        aria-describedby=${nameProblem ? 'name-problem' : undefined} aria-invalid=${nameProblem ? 'true' : 'false'}
        onInput=${(event: Event) => setExecutionName((event.target as HTMLInputElement).value)} />
      ${nameProblem ? html`<p id="name-problem" class="problems" role="alert">${nameProblem}</p>` : null}
      <p class="actions">
        <button type="submit" class="primary" disabled=${busy || loading}>${busy ? 'Starting…' : 'Start execution'}</button>
        <button type="button" disabled=${loading} onClick=${() => {
          setText(initial);
          setProblems([]);
        }}>Reset input</button>
      </p>
    </form>
  </section>`;
}
