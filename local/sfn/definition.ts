/**
 * Definition preparation for the local interpreter (aws-local-stepfunctions 3.x): the
 * definition types, the copy the interpreter gets (its own 60 s Task default and timer
 * limit neutralised), the features it cannot run, and the walk over every state.
 */

import { everyState } from '../../lib/workflows/states.ts';

export type StateDefinition = Record<string, unknown>;
export type Definition = { StartAt: string; States: Record<string, StateDefinition> } & Record<
  string,
  unknown
>;

/** Longest timer Node.js can arm (2^31-1 ms); longer timeouts would fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
/** The states a redrive can resume at. */
export const WORK_STATE_TYPES = new Set(['Task', 'Map', 'Parallel']);

/** A copy of the definition ready for the interpreter: maybe a new StartAt, explicit Task timeouts. */
export function prepareDefinition(definition: Definition, startAt: string | undefined): Definition {
  const copy = structuredClone(definition);
  if (startAt !== undefined) copy.StartAt = startAt;
  // The interpreter times the whole run with one setTimeout, which fires at once past
  // 2^31 ms (24.8 days); an export's whole-run limit is up to 28 days.
  if (typeof copy.TimeoutSeconds === 'number' && copy.TimeoutSeconds > MAX_TIMER_SECONDS) {
    copy.TimeoutSeconds = MAX_TIMER_SECONDS;
  }
  for (const [, state] of indexStates(copy)) {
    if (state.Type !== 'Task') continue;
    // The interpreter puts 60 s on a Task without TimeoutSeconds; AWS has no such default.
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    } else if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_TIMER_SECONDS) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  }
  return copy;
}

/**
 * Features aws-local-stepfunctions 3.x does not interpret: a definition using them would
 * run wrongly rather than fail, so the runtime refuses it at start with the reason.
 */
export function unsupportedFeatures(definition: Definition): string[] {
  const problems: string[] = [];
  if (definition.QueryLanguage === 'JSONata')
    problems.push('QueryLanguage JSONata (only JSONPath is interpreted)');
  for (const [name, state] of indexStates(definition)) {
    if (state.QueryLanguage === 'JSONata') problems.push(`state "${name}": QueryLanguage JSONata`);
    if (state.Assign !== undefined) problems.push(`state "${name}": Assign (workflow variables)`);
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined;
    if (processor?.ProcessorConfig?.Mode === 'DISTRIBUTED' || state.ItemReader !== undefined) {
      problems.push(`state "${name}": Distributed Map (ItemReader / Mode DISTRIBUTED)`);
    }
  }
  return problems;
}

/** Every state by name, including those inside Map and Parallel states (the interpreter's overrides are by name). */
export function indexStates(definition: { States?: unknown }): Map<string, StateDefinition> {
  const index = new Map<string, StateDefinition>();
  for (const [name, state] of everyState<StateDefinition>(definition))
    if (!index.has(name)) index.set(name, state);
  return index;
}

export function mapLength(state: StateDefinition | undefined, input: unknown): number | undefined {
  const itemsPath = typeof state?.ItemsPath === 'string' ? state.ItemsPath : '$';
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(itemsPath)) return undefined;
  let value: unknown = input;
  for (const key of itemsPath.split('.').slice(1)) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return Array.isArray(value) ? value.length : undefined;
}
