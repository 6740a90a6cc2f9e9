/**
 * The shape every long reliability scenario shares. `npm run soak` (soak/run.ts) runs each
 * module in soak/scenarios/ at full size and prints one summary table; the quick variants in
 * `npm test` (test/reliability/) call the same functions with `size: 'quick'`, so the code that
 * proves a promise in CI is the code the soak runs at scale.
 */

export type ScenarioSize = 'quick' | 'full';

export interface ScenarioOptions {
  size: ScenarioSize;
  /** Progress lines for long work (the soak prints them; tests may drop them). */
  log: (line: string) => void;
}

export interface ScenarioResult {
  /** Short name for the summary table, e.g. "month-start burst". */
  scenario: string;
  /** True only when every check of the scenario held. */
  passed: boolean;
  /** The figures to report, in display order, e.g. { executions: 31, 'records converted': 300000 }. */
  figures: Record<string, string | number>;
  /** One line per check that failed, naming what was expected and what was found. */
  failures: string[];
}

/** What each module in soak/scenarios/ exports as default. */
export type Scenario = (options: ScenarioOptions) => Promise<ScenarioResult>;
