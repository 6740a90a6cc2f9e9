/** Pieces shared by the console pages. Everything from an execution is rendered as text (never as HTML). */
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExecutionListItem, ExecutionStatus } from './api.ts';
import { executionMilliseconds, formatDuration, formatZoned } from './format.ts';
import {
  END,
  type GraphLayout,
  INNER_OFFSET,
  type LaidOutNode,
  layoutMachine,
  START,
} from './graph-layout.ts';
import type { IterationStatus, StateRun } from './history-analysis.ts';

export const BASE = '/console';

/** Client-side navigation (History API); the server answers every /console/ path with the app. */
export function navigate(to: string, state?: unknown): void {
  history.pushState(state ?? null, '', to);
  dispatchEvent(new PopStateEvent('popstate', { state: state ?? null }));
  window.scrollTo(0, 0);
}

export function Link(props: {
  href: string;
  children: ComponentChildren;
  class?: string;
  state?: unknown;
}): VNode {
  const onClick = (event: MouseEvent) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(props.href, props.state);
  };
  return html`<a href=${props.href} class=${props.class} onClick=${onClick}>${props.children}</a>`;
}

export function executionHref(executionArn: string): string {
  return `${BASE}/executions/${encodeURIComponent(executionArn)}`;
}

/** Runs `callback` now and every `intervalMs` while `active`, without overlapping runs. */
export function usePolling(
  callback: () => Promise<void>,
  intervalMs: number,
  active: boolean,
  key: unknown,
): void {
  const saved = useRef(callback);
  saved.current = callback;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        await saved.current();
      } finally {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      }
    };
    timer = setTimeout(tick, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, intervalMs, key]);
}

export function useAsync<T>(
  load: () => Promise<T>,
  key: unknown,
): { value?: T; error?: Error; reload: () => void } {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setState({ value }),
      (error: unknown) =>
        current && setState({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      current = false;
    };
  }, [key, version]);
  return { ...state, reload: () => setVersion((value) => value + 1) };
}

export function StatusBadge(props: { status: string; label?: string }): VNode {
  return html`<span class=${`status status-${props.status.toLowerCase()}`}>${props.label ?? props.status}</span>`;
}

export function ErrorNote(props: { error: Error | undefined }): VNode | null {
  if (props.error === undefined) return null;
  return html`<p class="error-note" role="alert">${props.error.message}</p>`;
}

/** Pretty JSON in a <pre>, as text. */
export function JsonBlock(props: { text: string; label: string }): VNode {
  return html`<pre class="json" tabindex="0" aria-label=${props.label}>${props.text}</pre>`;
}

export interface DurationBar {
  status: ExecutionStatus | string;
  milliseconds: number;
  label: string;
  href?: string;
}

/**
 * The bars of `runs` (newest first, as ListExecutions returns them), oldest on the left, each
 * linking to its execution; with `zone`, each label also says when the run started there.
 */
export function runBars(runs: readonly ExecutionListItem[], zone?: string): DurationBar[] {
  return [...runs].reverse().map((run) => {
    const milliseconds = executionMilliseconds(run.startDate, run.stopDate);
    const started =
      zone === undefined ? '' : `, started ${formatZoned(new Date(run.startDate * 1000), zone)}`;
    return {
      status: run.status,
      milliseconds,
      label: `${run.name}: ${run.status}, ${formatDuration(milliseconds)}${started}`,
      href: executionHref(run.executionArn),
    };
  });
}

/** Duration bars coloured by status, oldest on the left: a job getting slower shows as rising bars. */
export function DurationBars(props: {
  bars: DurationBar[];
  width: number;
  height: number;
  label: string;
}): VNode {
  const { bars, width, height } = props;
  const longest = Math.max(1, ...bars.map((bar) => bar.milliseconds));
  const slot = bars.length === 0 ? width : width / bars.length;
  const barWidth = Math.max(2, slot - 2);
  return html`<svg class="bars" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${props.label}>
    ${bars.map((bar, index) => {
      const barHeight = Math.max(2, (bar.milliseconds / longest) * (height - 2));
      const rect = html`<rect class=${`bar bar-${bar.status.toLowerCase()}`} x=${index * slot} y=${height - barHeight} width=${barWidth} height=${barHeight}><title>${bar.label}</title></rect>`;
      return bar.href ? html`<a href=${bar.href} aria-label=${bar.label}>${rect}</a>` : rect;
    })}
  </svg>`;
}

export interface GraphStatus {
  states: ReadonlyMap<string, StateRun>;
  iterations: ReadonlyMap<string, IterationStatus[]>;
}

/** The state machine graph; with `status`, states are coloured by what they did, and clickable. */
export function StateGraph(props: {
  definition: unknown;
  status?: GraphStatus;
  selected?: string;
  onSelect?: (state: string) => void;
}): VNode {
  const layout = layoutMachine(props.definition as Parameters<typeof layoutMachine>[0]);
  return html`<div class="graph-wrap">
    <svg class="graph" width=${layout.width} height=${layout.height} viewBox=${`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="State machine graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      ${renderLayout(layout, props, 0, 0)}
    </svg>
  </div>`;
}

function renderLayout(
  layout: GraphLayout,
  props: { status?: GraphStatus; selected?: string; onSelect?: (state: string) => void },
  offsetX: number,
  offsetY: number,
): VNode[] {
  const edges = layout.edges.map((edge) => {
    const points = edge.points.map((point) => `${point.x + offsetX},${point.y + offsetY}`).join(' ');
    return html`<polyline class=${`edge edge-${edge.kind}`} points=${points} marker-end="url(#arrow)" />`;
  });
  const nodes = layout.nodes.map((node) => renderNode(node, props, offsetX, offsetY));
  return [...edges, ...nodes];
}

function renderNode(
  node: LaidOutNode,
  props: { status?: GraphStatus; selected?: string; onSelect?: (state: string) => void },
  offsetX: number,
  offsetY: number,
): VNode {
  const x = node.x + offsetX;
  const y = node.y + offsetY;
  if (node.id === START || node.id === END) {
    return html`<g class="node node-terminal"><rect x=${x} y=${y} width=${node.width} height=${node.height} rx="13" /><text x=${x + node.width / 2} y=${y + node.height / 2 + 4} text-anchor="middle">${node.id === START ? 'Start' : 'End'}</text></g>`;
  }
  const run = props.status?.states.get(node.id);
  const status = run?.status ?? (props.status ? 'not-run' : 'plain');
  const retried = run !== undefined && run.retries > 0;
  const selectable = props.onSelect !== undefined;
  // Inner states sit inside their Map's group: the innermost one handles the event.
  const select = (event: Event) => {
    event.stopPropagation();
    props.onSelect?.(node.id);
  };
  const label = `${node.id} (${node.type})${run ? `: ${status}${retried ? `, retried ${run.retries}×` : ''}` : props.status ? ': not run' : ''}`;
  const iterations = props.status?.iterations.get(node.id);
  const title = html`<text class="node-label" x=${x + node.width / 2} y=${y + (node.inner ? 18 : node.height / 2 + 4)} text-anchor="middle">${node.id}${retried ? ' ↻' : ''}</text>`;
  return html`<g
    class=${`node node-${status}${retried ? ' node-retried' : ''}${props.selected === node.id ? ' node-selected' : ''}`}
    data-state=${node.id}
    data-status=${status}
    tabindex=${selectable ? 0 : undefined}
    role=${selectable ? 'button' : undefined}
    aria-label=${label}
    aria-pressed=${selectable ? String(props.selected === node.id) : undefined}
    onClick=${selectable ? select : undefined}
    onKeyDown=${
      selectable
        ? (event: KeyboardEvent) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              select(event);
            }
          }
        : undefined
    }>
    <rect x=${x} y=${y} width=${node.width} height=${node.height} rx="6" />
    ${title}
    ${
      node.inner
        ? html`<text class="node-type" x=${x + node.width / 2} y=${y + 34} text-anchor="middle">${iterationSummary(iterations)}</text>
          ${renderLayout(node.inner, props, x + INNER_OFFSET.x, y + INNER_OFFSET.y)}`
        : null
    }
  </g>`;
}

function iterationSummary(iterations: IterationStatus[] | undefined): string {
  if (iterations === undefined || iterations.length === 0) return 'Map: item processor';
  const counts = new Map<string, number>();
  for (const status of iterations)
    counts.set(status ?? 'ABORTED', (counts.get(status ?? 'ABORTED') ?? 0) + 1);
  return `${iterations.length} iterations: ${[...counts].map(([status, count]) => `${count} ${status.toLowerCase()}`).join(', ')}`;
}

export function durationText(milliseconds: number | undefined): string {
  return milliseconds === undefined ? '–' : formatDuration(milliseconds);
}
