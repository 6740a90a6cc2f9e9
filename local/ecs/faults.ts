import {
  PROVISIONING_FAILURES,
  type ProvisioningFailureName,
  provisioningFailures,
} from '#lib/contracts/provisioning-failures.ts';
import { seededRandom } from '#lib/random.ts';

/**
 * Shares of task starts (0..1) failing with each provisioning-failure kind of
 * lib/contracts/provisioning-failures.ts (the keys are its names), and the seed of the draws.
 */
export type FaultInjectionConfig = Partial<Record<ProvisioningFailureName, number>> & { seed?: number };

/** The fault-injection setting names, in list order (for help text and validation). */
export const FAULT_KEYS = Object.keys(PROVISIONING_FAILURES) as ProvisioningFailureName[];

/** The kinds drawn when a task starts (RunTask errors and tasks that never run), in list order. */
export const START_FAULT_KEYS: ProvisioningFailureName[] = provisioningFailures()
  .filter(([, kind]) => kind.surface === 'runtask-error' || kind.injected.phase === 'start')
  .map(([name]) => name);

/** Rounding slack when start shares are summed (0.7 + 0.2 + 0.1 may exceed 1 in floating point). */
export const FAULT_SHARE_SLACK = 1e-9;

export type StartFault =
  | { kind: 'runTaskError'; error: string; message: string }
  | { kind: 'taskFailedToStart'; stopCode: string; reason: string }
  | undefined;

/** A running task stopped by the platform (a Spot interruption), after `afterMs`. */
export interface RunningFault {
  afterMs: number;
  stopCode: string;
  reason: string;
}

/**
 * Draws provisioning failures for task starts. Deterministic for a given seed, so a
 * test or a demo can replay the same sequence of failures.
 */
export class FaultPicker {
  private readonly config: FaultInjectionConfig;
  private readonly random: () => number;

  constructor(config: FaultInjectionConfig = {}) {
    for (const name of FAULT_KEYS) {
      const share = config[name];
      if (share !== undefined && !(share >= 0 && share <= 1)) {
        throw new RangeError(`faults.${name} must be a share between 0 and 1 (e.g. 0.2), got ${share}`);
      }
    }
    const startTotal = START_FAULT_KEYS.reduce((sum, name) => sum + (config[name] ?? 0), 0);
    if (startTotal > 1 + FAULT_SHARE_SLACK) {
      throw new RangeError(
        `faults: the start failure shares (${START_FAULT_KEYS.join(', ')}) add up to ${startTotal}; they must add up to at most 1`,
      );
    }
    this.config = config;
    this.random = seededRandom(config.seed ?? Date.now());
  }

  /** Picks the fate of one task start: a RunTask API error, a task that fails to start, or none. */
  pickStartFault(): StartFault {
    const draw = this.random();
    let bound = 0;
    for (const [name, kind] of provisioningFailures()) {
      if (kind.surface === 'stopped-task' && kind.injected.phase !== 'start') continue;
      bound += this.config[name] ?? 0;
      if (draw >= bound) continue;
      return kind.surface === 'runtask-error'
        ? { kind: 'runTaskError', error: kind.error, message: kind.injectedMessage }
        : { kind: 'taskFailedToStart', stopCode: kind.injected.stopCode, reason: kind.injected.reason };
    }
    return undefined;
  }

  /** For a Spot task: when and how the platform stops it mid-run, or undefined. */
  pickRunningFault(): RunningFault | undefined {
    for (const [name, kind] of provisioningFailures()) {
      if (kind.surface !== 'stopped-task' || kind.injected.phase !== 'running') continue;
      const share = this.config[name] ?? 0;
      if (share === 0 || this.random() >= share) continue;
      return {
        afterMs: 100 + Math.floor(this.random() * 400),
        stopCode: kind.injected.stopCode,
        reason: kind.injected.reason,
      };
    }
    return undefined;
  }
}
