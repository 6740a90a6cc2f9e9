/**
 * The local console: a single-page app (Preact + htm) served by `npm start` under
 * /console/. It reads and acts only through the Step Functions API on the same origin,
 * the read-only job metadata under /_local/console/ and the task logs under /_local/logs.
 */
import { html, render } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { BASE, Link } from './components.ts';
import type { Language } from './format.ts';
import { CalendarPage } from './pages/calendar.ts';
import { ExecutionPage } from './pages/execution.ts';
import { ExecutionsPage } from './pages/executions.ts';
import { JobPage } from './pages/job.ts';
import { JobsPage } from './pages/jobs.ts';
import { StartPage } from './pages/start.ts';

function useLocation(): { path: string; query: URLSearchParams; state: unknown } {
  const read = () => ({
    path: location.pathname,
    query: new URLSearchParams(location.search),
    state: history.state as unknown,
  });
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return current;
}

function storedLanguage(): Language {
  try {
    return localStorage.getItem('sfn-batch-console-language') === 'ja' ? 'ja' : 'en';
  } catch {
    return 'en';
  }
}

function Page(props: { path: string; query: URLSearchParams; state: unknown; language: Language }): VNode {
  const rest = props.path.startsWith(BASE) ? props.path.slice(BASE.length) : props.path;
  const parts = rest
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  const [first, second, third] = parts;
  if (first === undefined) return html`<${JobsPage} language=${props.language} />`;
  if (first === 'jobs' && second !== undefined && third === 'start') {
    const prefill = (props.state as { input?: unknown } | null)?.input;
    return html`<${StartPage} key=${second} name=${second} prefill=${typeof prefill === 'string' ? prefill : undefined} />`;
  }
  if (first === 'jobs' && second !== undefined)
    return html`<${JobPage} name=${second} language=${props.language} />`;
  if (first === 'calendar') return html`<${CalendarPage} />`;
  if (first === 'executions' && second !== undefined)
    return html`<${ExecutionPage} executionArn=${second} />`;
  if (first === 'executions') return html`<${ExecutionsPage} query=${props.query} />`;
  return html`<section><h1>Not found</h1><p>No console page at ${props.path}. <${Link} href=${`${BASE}/`}>Go to the jobs<//>.</p></section>`;
}

function App(): VNode {
  const location = useLocation();
  const [language, setLanguage] = useState<Language>(storedLanguage);
  const choose = (next: Language) => {
    setLanguage(next);
    try {
      localStorage.setItem('sfn-batch-console-language', next);
    } catch {
      // Storage may be off; the choice then lasts for this page only.
    }
  };
  const current = (prefix: string) =>
    prefix === '/'
      ? location.path === `${BASE}/` || location.path.startsWith(`${BASE}/jobs`)
      : location.path.startsWith(`${BASE}${prefix}`);
  const navLink = (href: string, prefix: string, label: string) =>
    html`<li><${Link} href=${href} class=${current(prefix) ? 'current' : ''}>${label}<//></li>`;
  return html`<a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">sfn-batch <span class="muted">local console</span></span>
      <nav aria-label="Console"><ul>
        ${navLink(`${BASE}/`, '/', 'Jobs')}
        ${navLink(`${BASE}/executions`, '/executions', 'Executions')}
        ${navLink(`${BASE}/calendar`, '/calendar', 'Calendar')}
      </ul></nav>
      <div class="toggle" role="group" aria-label="Schedule language">
        <button type="button" aria-pressed=${language === 'en'} onClick=${() => choose('en')}>English</button>
        <button type="button" lang="ja" aria-pressed=${language === 'ja'} onClick=${() => choose('ja')}>日本語</button>
      </div>
    </header>
    <main id="main" tabindex="-1">
      <${Page} path=${location.path} query=${location.query} state=${location.state} language=${language} />
    </main>`;
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
