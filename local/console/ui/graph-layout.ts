/**
 * Lays out an ASL definition as a graph with dagre (@dagrejs/dagre). A Map's item
 * processor is laid out first as its own graph and drawn inside the Map's box, because
 * dagre does not route edges into compound nodes.
 */
import dagre from '@dagrejs/dagre';

export interface Point {
  x: number;
  y: number;
}

export interface LaidOutNode {
  id: string;
  type: string;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** A Map's (or Parallel's first branch's) inner graph, positioned relative to this node. */
  inner?: GraphLayout;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  points: Point[];
}

export interface GraphLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

export const START = '__start__';
export const END = '__end__';
const NODE_HEIGHT = 34;
const CHAR_WIDTH = 7.2;
const INNER_HEADER = 28;
const INNER_PADDING = 14;

type StateDefinition = Record<string, unknown>;
interface MachineDefinition {
  StartAt?: string;
  States?: Record<string, StateDefinition>;
}

function transitions(state: StateDefinition): { to: string; kind: LaidOutEdge['kind'] }[] {
  const out: { to: string; kind: LaidOutEdge['kind'] }[] = [];
  if (typeof state.Next === 'string') out.push({ to: state.Next, kind: 'next' });
  if (Array.isArray(state.Choices)) {
    for (const choice of state.Choices as { Next?: unknown }[]) {
      if (typeof choice.Next === 'string') out.push({ to: choice.Next, kind: 'choice' });
    }
  }
  if (typeof state.Default === 'string') out.push({ to: state.Default, kind: 'default' });
  if (Array.isArray(state.Catch)) {
    for (const handler of state.Catch as { Next?: unknown }[]) {
      if (typeof handler.Next === 'string') out.push({ to: handler.Next, kind: 'catch' });
    }
  }
  return out;
}

/** Lays out a state machine (or a Map's item processor, without start and end markers). */
export function layoutMachine(machine: MachineDefinition, withEnds = true): GraphLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 34, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  const states = machine.States ?? {};
  const inner = new Map<string, GraphLayout>();
  const types = new Map<string, string>();
  for (const [name, state] of Object.entries(states)) {
    const type = String(state.Type ?? '');
    types.set(name, type);
    const processor = (state.ItemProcessor ??
      state.Iterator ??
      (state.Branches as unknown[] | undefined)?.[0]) as MachineDefinition | undefined;
    let width = Math.max(120, Math.ceil(name.length * CHAR_WIDTH) + 28);
    let height = NODE_HEIGHT;
    if ((type === 'Map' || type === 'Parallel') && processor !== undefined) {
      const nested = layoutMachine(processor, false);
      inner.set(name, nested);
      width = Math.max(width, nested.width + 2 * INNER_PADDING);
      height = nested.height + INNER_HEADER + INNER_PADDING + 22;
    }
    graph.setNode(name, { width, height });
  }
  if (withEnds) {
    graph.setNode(START, { width: 60, height: 26 });
    graph.setNode(END, { width: 60, height: 26 });
    if (machine.StartAt !== undefined)
      graph.setEdge(START, machine.StartAt, { kind: 'next' }, `${START}>next`);
  }
  let edgeIndex = 0;
  for (const [name, state] of Object.entries(states)) {
    for (const { to, kind } of transitions(state)) {
      if (!graph.hasNode(to)) continue;
      graph.setEdge(name, to, { kind }, `${kind}-${edgeIndex++}`);
    }
    const type = types.get(name);
    if (withEnds && (state.End === true || type === 'Succeed' || type === 'Fail')) {
      graph.setEdge(name, END, { kind: 'next' }, `end-${edgeIndex++}`);
    }
  }
  dagre.layout(graph);
  const nodes: LaidOutNode[] = graph.nodes().map((id) => {
    const node = graph.node(id);
    const laidOut: LaidOutNode = {
      id,
      type: id === START ? 'Start' : id === END ? 'End' : (types.get(id) ?? ''),
      x: (node.x ?? 0) - node.width / 2,
      y: (node.y ?? 0) - node.height / 2,
      width: node.width,
      height: node.height,
    };
    const nested = inner.get(id);
    if (nested !== undefined) laidOut.inner = nested;
    return laidOut;
  });
  const edges: LaidOutEdge[] = graph.edges().map((edge) => {
    const label = graph.edge(edge) as { points?: Point[]; kind?: LaidOutEdge['kind'] };
    return { from: edge.v, to: edge.w, kind: label.kind ?? 'next', points: label.points ?? [] };
  });
  const size = graph.graph();
  return { nodes, edges, width: size.width ?? 0, height: size.height ?? 0 };
}

export const INNER_OFFSET = { x: INNER_PADDING, y: INNER_HEADER + 22 };
