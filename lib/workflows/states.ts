/** Walking a state machine definition: one walk for synthesis, the local runtime and the tests. */

/** A state machine, or a Map item processor or Parallel branch inside one. */
export interface StateContainer {
  States?: unknown;
}

/**
 * Every state with its name, in definition order, each followed by the states nested in
 * it: Map item processors (`ItemProcessor`, or the older `Iterator`) and Parallel `Branches`.
 */
export function everyState<State extends object = Record<string, unknown>>(
  definition: StateContainer,
): [string, State][] {
  const found: [string, State][] = [];
  const visit = (machine: StateContainer) => {
    const states = machine.States;
    if (states === null || typeof states !== 'object') return;
    for (const [name, value] of Object.entries(states as Record<string, unknown>)) {
      if (value === null || typeof value !== 'object') continue;
      found.push([name, value as State]);
      const state = value as Record<string, unknown>;
      for (const nested of [state.ItemProcessor, state.Iterator]) {
        if (nested !== null && typeof nested === 'object') visit(nested as StateContainer);
      }
      if (Array.isArray(state.Branches)) {
        for (const branch of state.Branches) if (branch !== null && typeof branch === 'object') visit(branch);
      }
    }
  };
  visit(definition);
  return found;
}
