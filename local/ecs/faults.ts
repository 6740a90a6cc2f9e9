/** Shares of task starts (0..1) failing with each provisioning failure kind. */
export interface FaultInjectionConfig {
  /** RunTask API error → Step Functions error `ECS.AmazonECSException`, "Capacity is unavailable at this time...". */
  capacityUnavailable?: number;
  /** Task created, then stops: StopCode TaskFailedToStart, StoppedReason "ResourceInitializationError: ...". */
  resourceInitializationError?: number;
  /** TaskFailedToStart, "CannotPullContainerError: ...". */
  cannotPullContainerError?: number;
  /** TaskFailedToStart, "Timeout waiting for network interface provisioning to complete.". */
  eniProvisioningTimeout?: number;
  /** Running task stopped mid-run: StopCode SpotInterruption (only for tasks on FARGATE_SPOT). */
  spotInterruption?: number;
  seed?: number;
}

export type StartFault =
  | { kind: 'capacityUnavailable' }
  | { kind: 'taskFailedToStart'; reason: string }
  | undefined;

const START_FAILURE_REASONS = {
  resourceInitializationError:
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed (injected by the local runtime)',
  cannotPullContainerError:
    'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: i/o timeout (injected by the local runtime)',
  eniProvisioningTimeout: 'Timeout waiting for network interface provisioning to complete.',
} as const;

/**
 * Draws provisioning failures for task starts. Deterministic for a given seed, so a
 * test or a demo can replay the same sequence of failures.
 */
export class FaultPicker {
  private readonly config: FaultInjectionConfig;
  private readonly random: () => number;

  constructor(config: FaultInjectionConfig = {}) {
    const shares: Array<[string, number | undefined]> = [
      ['capacityUnavailable', config.capacityUnavailable],
      ['resourceInitializationError', config.resourceInitializationError],
      ['cannotPullContainerError', config.cannotPullContainerError],
      ['eniProvisioningTimeout', config.eniProvisioningTimeout],
      ['spotInterruption', config.spotInterruption],
    ];
    for (const [key, share] of shares) {
      if (share !== undefined && !(share >= 0 && share <= 1)) {
        throw new RangeError(`faults.${key} must be a share between 0 and 1 (e.g. 0.2), got ${share}`);
      }
    }
    const startTotal = shares.slice(0, 4).reduce((sum, [, share]) => sum + (share ?? 0), 0);
    if (startTotal > 1) {
      throw new RangeError(
        `faults: the start failure shares (capacity, resource init, image pull, ENI) add up to ${startTotal}; they must add up to at most 1`,
      );
    }
    this.config = config;
    this.random = mulberry32(config.seed ?? Date.now());
  }

  /** Picks the fate of one task start: a RunTask API error, a task that fails to start, or none. */
  pickStartFault(): StartFault {
    const draw = this.random();
    let bound = this.config.capacityUnavailable ?? 0;
    if (draw < bound) return { kind: 'capacityUnavailable' };
    for (const key of [
      'resourceInitializationError',
      'cannotPullContainerError',
      'eniProvisioningTimeout',
    ] as const) {
      bound += this.config[key] ?? 0;
      if (draw < bound) return { kind: 'taskFailedToStart', reason: START_FAILURE_REASONS[key] };
    }
    return undefined;
  }

  /** For a Spot task: milliseconds after start at which it is interrupted, or undefined. */
  pickSpotInterruption(): number | undefined {
    const share = this.config.spotInterruption ?? 0;
    if (share === 0 || this.random() >= share) return undefined;
    return 100 + Math.floor(this.random() * 400);
  }
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
