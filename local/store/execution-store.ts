import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** Where a redrive resumes: the last top-level work state entered, with the input it received. */
export interface ResumePoint {
  state: string;
  input: unknown;
}

const executionRecordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  job: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.string(),
  stopDate: z.string().optional(),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  redriveCount: z.number().int(),
  redriveDate: z.string().optional(),
  resumeFrom: z.object({ state: z.string(), input: z.unknown() }).optional(),
  /** Process that is (or was) running the execution, for the cause written after a crash. */
  runtimePid: z.number().int(),
  updatedAt: z.string(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/**
 * What the store keeps in memory of a finished execution: what ListExecutions shows. The rest
 * (`input`, `output`, `cause`, `resumeFrom`, `updatedAt`) stays in record.json and is read when
 * DescribeExecution, the console or a redrive asks (ExecutionStore.get).
 */
export type ExecutionSummary = Omit<
  ExecutionRecord,
  'input' | 'output' | 'cause' | 'resumeFrom' | 'updatedAt'
>;

/** One copy of each state machine ARN, job name, status and ARN prefix, shared by every summary. */
const sharedStrings = new Map<string, string>();

function shared(value: string): string {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  // A flat copy: a slice or a concatenation would keep the string it came from alive.
  const flat = JSON.parse(JSON.stringify(value)) as string;
  sharedStrings.set(flat, flat);
  return flat;
}

/**
 * An execution ARN split after its state machine (`arn:aws:states:<region>:<account>:execution:
 * <state machine>`) and its name, or undefined when it is not shaped so.
 */
function splitExecutionArn(executionArn: string): { prefix: string; name: string } | undefined {
  let colon = -1;
  for (let field = 0; field < 7; field++) {
    colon = executionArn.indexOf(':', colon + 1);
    if (colon < 0) return undefined;
  }
  return { prefix: executionArn.slice(0, colon), name: executionArn.slice(colon + 1) };
}

/** An ISO instant as epoch ms when it converts back unchanged (toISOString wrote it), else as is. */
function compactInstant(iso: string): number | string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? ms : iso;
}

function isoOf(instant: number | string): string {
  return typeof instant === 'number' ? new Date(instant).toISOString() : instant;
}

/**
 * A finished execution's summary, compact: a month of schedules keeps ~10,000 of them, and the
 * scenario that runs one requires the runtime's memory to stay flat (docs/reliability.md). It
 * holds no ARN string (the ARN is its state machine's shared prefix and its name) and its dates
 * as numbers; the ExecutionSummary fields are getters. Every instance has one shape.
 */
class FinishedExecution implements ExecutionSummary {
  readonly name: string;
  readonly stateMachineArn: string;
  readonly job: string;
  readonly status: ExecutionStatus;
  readonly error: string | undefined;
  readonly redriveCount: number;
  readonly runtimePid: number;
  private readonly arnPrefix: string;
  private readonly start: number | string;
  private readonly stop: number | string | undefined;
  private readonly redrive: number | string | undefined;

  constructor(record: ExecutionRecord, arnPrefix: string) {
    this.name = record.name;
    this.stateMachineArn = shared(record.stateMachineArn);
    this.job = shared(record.job);
    this.status = shared(record.status) as ExecutionStatus;
    this.error = record.error;
    this.redriveCount = record.redriveCount;
    this.runtimePid = record.runtimePid;
    this.arnPrefix = arnPrefix;
    this.start = compactInstant(record.startDate);
    this.stop = record.stopDate === undefined ? undefined : compactInstant(record.stopDate);
    this.redrive = record.redriveDate === undefined ? undefined : compactInstant(record.redriveDate);
  }

  get executionArn(): string {
    return `${this.arnPrefix}:${this.name}`;
  }

  get startDate(): string {
    return isoOf(this.start);
  }

  get stopDate(): string | undefined {
    return this.stop === undefined ? undefined : isoOf(this.stop);
  }

  get redriveDate(): string | undefined {
    return this.redrive === undefined ? undefined : isoOf(this.redrive);
  }
}

/**
 * The summary the store keeps of a finished execution: the compact one when its ARN is its
 * state machine's prefix and its name (always, for executions this runtime started), otherwise
 * a plain copy of the summary fields.
 */
function summaryOf(record: ExecutionRecord): ExecutionSummary {
  const split = splitExecutionArn(record.executionArn);
  if (split !== undefined && split.name === record.name)
    return new FinishedExecution(record, shared(split.prefix));
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    job: record.job,
    name: record.name,
    status: record.status,
    startDate: record.startDate,
    stopDate: record.stopDate,
    error: record.error,
    redriveCount: record.redriveCount,
    redriveDate: record.redriveDate,
    runtimePid: record.runtimePid,
  };
}

/**
 * The stored executions by ARN, without keeping ARN strings: by the ARN's state machine prefix
 * (one shared string per state machine), then by name. ~10,000 ARNs of ~110 characters were
 * 1.6 MB of the runtime's live heap after an accelerated month. An ARN not shaped
 * `<prefix>:<name>` (never one this runtime made) is kept by its whole ARN.
 */
class ExecutionsByArn {
  private readonly byPrefix = new Map<string, Map<string, StoredExecution>>();
  private readonly other = new Map<string, StoredExecution>();

  get(executionArn: string): StoredExecution | undefined {
    const split = splitExecutionArn(executionArn);
    return (
      (split === undefined ? undefined : this.byPrefix.get(split.prefix)?.get(split.name)) ??
      this.other.get(executionArn)
    );
  }

  has(executionArn: string): boolean {
    return this.get(executionArn) !== undefined;
  }

  /** Adds an execution; `name` is the record's own string, kept as the key. */
  set(executionArn: string, name: string, stored: StoredExecution): void {
    const split = splitExecutionArn(executionArn);
    if (split === undefined || split.name !== name) {
      this.other.set(executionArn, stored);
      return;
    }
    const prefix = shared(split.prefix);
    let byName = this.byPrefix.get(prefix);
    if (byName === undefined) {
      byName = new Map();
      this.byPrefix.set(prefix, byName);
    }
    byName.set(name, stored);
  }

  *values(): Generator<StoredExecution> {
    for (const byName of this.byPrefix.values()) yield* byName.values();
    yield* this.other.values();
  }
}

const heartbeatSchema = z.object({ pid: z.number().int(), at: z.iso.datetime() });
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** One Step Functions history event, exactly as GetExecutionHistory returns it (timestamp in epoch seconds). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

const historyEventSchema = z
  .object({ id: z.number(), previousEventId: z.number(), timestamp: z.number(), type: z.string() })
  .catchall(z.unknown());

const taskMetaSchema = z.object({
  taskArn: z.string(),
  container: z.string(),
  command: z.array(z.string()),
  cpu: z.string().optional(),
  memory: z.string().optional(),
  pid: z.number().int().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
});
export type TaskMeta = z.infer<typeof taskMetaSchema>;

export interface TaskLogLine {
  stream: 'stdout' | 'stderr';
  at: string;
  text: string;
}

interface StoredExecution {
  /**
   * The whole record while the execution is RUNNING; otherwise only its summary, the rest read
   * from record.json when asked. A month of schedules is ~10,000 executions, and their inputs
   * and outputs kept the runtime's live heap growing (~5 KB an execution, docs/reliability.md).
   */
  record: ExecutionRecord | ExecutionSummary;
  /** Whether `record` is whole (RUNNING) or a summary. */
  whole: boolean;
  /**
   * The history, kept in memory only while the execution is RUNNING; otherwise read from
   * history.jsonl when asked. A month of schedules is ~10,000 executions, and their histories
   * (each ECS task description included) would grow the runtime by ~17 MB a simulated day.
   */
  history: HistoryEvent[] | undefined;
  /**
   * The execution's folder when it is not where executionFolderName puts it (an older version
   * made it); otherwise undefined and computed when needed (ExecutionStore.dirOf), since a month
   * of schedules would keep ~10,000 paths of ~170 characters each in memory.
   */
  dir: string | undefined;
  /** The status the listings file it under (a caller may have changed `record` in place). */
  listedStatus: ExecutionStatus;
}

/** Position in a newest-first listing: the last execution a page showed. */
export interface ListingCursor {
  startDate: string;
  name: string;
}

/** Newest first, ties by name descending: the order ListExecutions returns. */
function compareNewestFirst(a: ListingCursor, b: ListingCursor): number {
  return b.startDate.localeCompare(a.startDate) || b.name.localeCompare(a.name);
}

/** First index in `list` (sorted newest first) that sorts after `cursor`. */
function indexAfter(list: readonly StoredExecution[], cursor: ListingCursor): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const item = list[middle];
    if (item !== undefined && compareNewestFirst(item.record, cursor) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Durable execution store under `<dataDir>/sfn/`. One folder per execution,
 * `executions/<state machine>/<safe name slice>-<ARN hash>` (see executionFolderName; folders
 * of older versions, named after the execution, still load): `record.json` (replaced atomically: temp file + rename), `history.jsonl` (append-only),
 * `definition.json` (the definition the execution started with, for redrive) and
 * `tasks/<taskId>.json` + `tasks/<taskId>.log.jsonl` for each ECS task. Records are also
 * kept in memory (read once at start); histories only while their execution runs. An execution whose record.json
 * cannot be read is moved to `quarantine/` with a warning instead of stopping the start.
 */
export class ExecutionStore {
  readonly root: string;
  private readonly executions = new ExecutionsByArn();
  /**
   * Newest-first listings per state machine, and per state machine and status, so a
   * ListExecutions page reads only the executions it returns (10,000 executions in the
   * store must not make every page scan them all). Keys: `<arn>` and `<arn> <status>`.
   */
  private readonly listings = new Map<string, StoredExecution[]>();

  private readonly warn: (message: string) => void;
  /** The heartbeat found at start: the last instant the previous runtime was known alive. */
  readonly previousHeartbeat: Heartbeat | undefined;

  constructor(dataDir: string, options: { warn?: (message: string) => void } = {}) {
    this.root = path.join(dataDir, 'sfn');
    this.warn = options.warn ?? ((message) => process.stderr.write(`[execution store] ${message}\n`));
    mkdirSync(path.join(this.root, 'executions'), { recursive: true });
    removeAbandonedTemporaryFiles(this.root);
    this.previousHeartbeat = this.readHeartbeat();
    this.load();
  }

  /** Records that the runtime `pid` is alive now (`sfn/heartbeat.json`, replaced atomically). */
  heartbeat(pid: number, at: Date = new Date()): void {
    writeAtomically(path.join(this.root, 'heartbeat.json'), JSON.stringify({ pid, at: at.toISOString() }));
  }

  private readHeartbeat(): Heartbeat | undefined {
    try {
      return heartbeatSchema.parse(JSON.parse(readFileSync(path.join(this.root, 'heartbeat.json'), 'utf8')));
    } catch {
      return undefined;
    }
  }

  private load(): void {
    const base = path.join(this.root, 'executions');
    this.rehomeEscapedExecutions(base);
    for (const machine of subfolders(base)) {
      for (const entry of subfolders(path.join(base, machine))) {
        const dir = path.join(base, machine, entry);
        removeAbandonedTemporaryFiles(dir);
        removeAbandonedTemporaryFiles(path.join(dir, 'tasks'));
        const recordFile = path.join(dir, 'record.json');
        if (!existsSync(recordFile)) continue;
        let record: ExecutionRecord;
        try {
          record = executionRecordSchema.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
        } catch (error) {
          this.quarantine(dir, recordFile, error);
          continue;
        }
        const whole = record.status === 'RUNNING';
        this.executions.set(record.executionArn, record.name, {
          record: whole ? record : summaryOf(record),
          whole,
          history: undefined,
          dir: dir === this.standardDir(record) ? undefined : dir,
          listedStatus: record.status,
        });
      }
    }
    for (const stored of this.executions.values()) {
      for (const key of listingKeys(stored.record)) {
        const list = this.listings.get(key);
        if (list) list.push(stored);
        else this.listings.set(key, [stored]);
      }
    }
    for (const list of this.listings.values()) list.sort((a, b) => compareNewestFirst(a.record, b.record));
  }

  /**
   * Executions of one state machine (optionally only those with `status`), newest first,
   * starting after `after`. Lazy: a caller that stops after one page reads one page.
   */
  *newestFirst(
    stateMachineArn: string,
    options: { status?: ExecutionStatus; after?: ListingCursor } = {},
  ): Generator<ExecutionSummary> {
    const list = this.listings.get(listingKey(stateMachineArn, options.status)) ?? [];
    let index = options.after === undefined ? 0 : indexAfter(list, options.after);
    // A snapshot of identities is not needed: the generator re-reads the live list, and a
    // status change moving an execution out of it only shifts what the next page shows.
    for (; index < list.length; index++) {
      const stored = list[index];
      if (stored !== undefined) yield stored.record;
    }
  }

  /**
   * Older versions named execution folders after the execution, so an execution named `..`
   * wrote its files into `executions/` itself and one named `.` into its state machine's
   * folder. Such files move into the execution's own folder here, once.
   */
  private rehomeEscapedExecutions(base: string): void {
    for (const dir of [base, ...subfolders(base).map((machine) => path.join(base, machine))]) {
      const recordFile = path.join(dir, 'record.json');
      if (!existsSync(recordFile)) continue;
      let record: ExecutionRecord;
      try {
        record = executionRecordSchema.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
      } catch {
        continue;
      }
      const machine = machineNameOf(record.stateMachineArn);
      const target = path.join(base, machine, executionFolderName(record.executionArn, record.name));
      if (existsSync(target)) continue;
      mkdirSync(target, { recursive: true });
      for (const file of ['record.json', 'history.jsonl', 'definition.json', 'tasks']) {
        if (existsSync(path.join(dir, file))) renameSync(path.join(dir, file), path.join(target, file));
      }
      this.warn(
        `moved the files of execution "${record.name}" (${record.executionArn}) from ${dir} into ${target}: an older version stored them outside their own folder`,
      );
    }
  }

  /**
   * Sets a damaged execution aside (a torn record.json, say) so the store still opens:
   * the folder moves to `sfn/quarantine/`, where it can be inspected or deleted.
   */
  private quarantine(dir: string, file: string, error: unknown): void {
    const reason = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
    const target = path.join(
      this.root,
      'quarantine',
      `${path.basename(path.dirname(dir))}--${path.basename(dir)}--${new Date().toISOString().replace(/[:.]/g, '-')}`,
    );
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(dir, target);
    this.warn(
      `${file} is damaged (${reason}); moved the execution's folder to ${target} and started without it. Inspect or delete that folder.`,
    );
  }

  /** Where executionFolderName puts an execution's folder. */
  private standardDir(record: ExecutionSummary): string {
    return path.join(
      this.root,
      'executions',
      machineNameOf(record.stateMachineArn),
      executionFolderName(record.executionArn, record.name),
    );
  }

  private dirOf(stored: StoredExecution): string {
    return stored.dir ?? this.standardDir(stored.record);
  }

  /** Every execution's summary (no input or output: get() reads those). */
  all(): ExecutionSummary[] {
    return [...this.executions.values()].map((stored) => stored.record);
  }

  has(executionArn: string): boolean {
    return this.executions.has(executionArn);
  }

  /** What ListExecutions shows of one execution, from memory (get() reads the rest from disk). */
  summary(executionArn: string): ExecutionSummary | undefined {
    return this.executions.get(executionArn)?.record;
  }

  /** The whole record: in memory while RUNNING, else read from record.json. */
  get(executionArn: string): ExecutionRecord | undefined {
    const stored = this.executions.get(executionArn);
    if (stored === undefined) return undefined;
    if (stored.whole) return stored.record as ExecutionRecord;
    const file = path.join(this.dirOf(stored), 'record.json');
    try {
      return executionRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      const reason = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
      throw new Error(
        `Cannot read execution ${executionArn} from ${file} (${reason}). Restore or delete that execution's folder, then restart npm start.`,
      );
    }
  }

  create(record: ExecutionRecord, stateMachineName: string, definition: unknown): void {
    // Never a path from the name: execution names may be `..` or `.` (AWS accepts them).
    const standard = this.standardDir(record);
    const dir =
      stateMachineName === machineNameOf(record.stateMachineArn)
        ? standard
        : path.join(this.root, 'executions', stateMachineName, path.basename(standard));
    mkdirSync(path.join(dir, 'tasks'), { recursive: true });
    writeAtomically(path.join(dir, 'definition.json'), JSON.stringify(definition));
    const stored: StoredExecution = {
      record,
      whole: true,
      history: [],
      dir: dir === standard ? undefined : dir,
      listedStatus: record.status,
    };
    this.executions.set(record.executionArn, record.name, stored);
    for (const key of listingKeys(record)) this.insertListed(key, stored);
    this.update(record);
  }

  update(record: ExecutionRecord): void {
    const stored = this.require(record.executionArn);
    record.updatedAt = new Date().toISOString();
    const moved = stored.listedStatus !== record.status;
    if (moved) this.removeListed(listingKey(record.stateMachineArn, stored.listedStatus), stored);
    stored.whole = record.status === 'RUNNING';
    stored.record = stored.whole ? record : summaryOf(record);
    if (!stored.whole) stored.history = undefined;
    if (moved) {
      stored.listedStatus = record.status;
      this.insertListed(listingKey(record.stateMachineArn, record.status), stored);
    }
    writeAtomically(path.join(this.dirOf(stored), 'record.json'), JSON.stringify(record, null, 2));
  }

  definition(executionArn: string): unknown {
    return JSON.parse(
      readFileSync(path.join(this.dirOf(this.require(executionArn)), 'definition.json'), 'utf8'),
    );
  }

  /** Appends an event, assigning the next id; `previousEventId` defaults to the event before it. */
  appendHistory(
    executionArn: string,
    type: string,
    details: Record<string, unknown>,
    previousEventId?: number,
    at: Date = new Date(),
  ): HistoryEvent {
    const stored = this.require(executionArn);
    const history = this.historyOf(stored);
    const id = history.length + 1;
    const event: HistoryEvent = {
      timestamp: at.getTime() / 1000,
      type,
      id,
      previousEventId: previousEventId ?? id - 1,
      ...details,
    };
    history.push(event);
    appendFileSync(path.join(this.dirOf(stored), 'history.jsonl'), `${JSON.stringify(event)}\n`);
    return event;
  }

  history(executionArn: string): HistoryEvent[] {
    return this.historyOf(this.require(executionArn));
  }

  /** The cached history of a RUNNING execution, else history.jsonl (cached if it runs). */
  private historyOf(stored: StoredExecution): HistoryEvent[] {
    if (stored.history !== undefined) return stored.history;
    const history = readHistoryFile(path.join(this.dirOf(stored), 'history.jsonl'));
    if (stored.whole) stored.history = history;
    return history;
  }

  writeTask(executionArn: string, taskId: string, meta: TaskMeta): void {
    const dir = path.join(this.dirOf(this.require(executionArn)), 'tasks');
    mkdirSync(dir, { recursive: true });
    writeAtomically(path.join(dir, `${taskId}.json`), JSON.stringify(meta, null, 2));
  }

  appendTaskLog(executionArn: string, taskId: string, lines: TaskLogLine[]): void {
    if (lines.length === 0) return;
    const file = path.join(this.dirOf(this.require(executionArn)), 'tasks', `${taskId}.log.jsonl`);
    appendFileSync(file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  }

  /** The execution's ECS tasks in start order, each with its captured output. */
  tasks(executionArn: string): Array<TaskMeta & { taskId: string; lines: TaskLogLine[] }> {
    const dir = path.join(this.dirOf(this.require(executionArn)), 'tasks');
    if (!existsSync(dir)) return [];
    const tasks = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .flatMap((file) => {
        const taskId = file.slice(0, -'.json'.length);
        let meta: TaskMeta;
        try {
          meta = taskMetaSchema.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
        } catch (error) {
          this.warn(`${path.join(dir, file)} is damaged (${String(error)}); that task is left out`);
          return [];
        }
        const logFile = path.join(dir, `${taskId}.log.jsonl`);
        const lines: TaskLogLine[] = existsSync(logFile)
          ? readFileSync(logFile, 'utf8')
              .split('\n')
              .filter((line) => line.trim() !== '')
              .flatMap((line) => {
                try {
                  return [JSON.parse(line) as TaskLogLine];
                } catch {
                  return [];
                }
              })
          : [];
        return [{ ...meta, taskId, lines }];
      });
    return tasks.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private insertListed(key: string, stored: StoredExecution): void {
    let list = this.listings.get(key);
    if (list === undefined) {
      list = [];
      this.listings.set(key, list);
    }
    list.splice(indexAfter(list, stored.record), 0, stored);
  }

  private removeListed(key: string, stored: StoredExecution): void {
    const list = this.listings.get(key);
    const index = list?.indexOf(stored) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
  }

  private require(executionArn: string): StoredExecution {
    const stored = this.executions.get(executionArn);
    if (stored === undefined) throw new Error(`Execution ${executionArn} is not in the store ${this.root}`);
    return stored;
  }
}

/** The complete events of a history.jsonl; a crash mid-append can leave a torn last line, which is dropped. */
function readHistoryFile(file: string): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  if (!existsSync(file)) return history;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      history.push(historyEventSchema.parse(JSON.parse(line)) as HistoryEvent);
    } catch {
      break;
    }
  }
  return history;
}

function listingKey(stateMachineArn: string, status?: ExecutionStatus): string {
  return status === undefined ? stateMachineArn : `${stateMachineArn} ${status}`;
}

function listingKeys(record: ExecutionSummary): string[] {
  return [listingKey(record.stateMachineArn), listingKey(record.stateMachineArn, record.status)];
}

/** The state machine's name, last in its ARN: the folder its executions are under. */
function machineNameOf(stateMachineArn: string): string {
  return stateMachineArn.split(':').at(-1) ?? 'unknown';
}

/**
 * The folder of one execution: a readable, filesystem-safe slice of its name plus a hash of
 * its ARN, so two names that sanitise alike never share a folder. The name itself is kept
 * in record.json.
 */
export function executionFolderName(executionArn: string, name: string): string {
  const readable = name
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 40)
    .replace(/^_+|_+$/g, '');
  const id = createHash('sha256').update(executionArn).digest('hex').slice(0, 16);
  return readable === '' ? id : `${readable}-${id}`;
}

/** Names of the folders in `dir`; stray files (left by older versions) are ignored. */
function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

/** The temporary name writeAtomically uses: `<file>.<pid>.tmp`. */
const TEMPORARY_FILE = /\.(\d+)\.tmp$/;

/**
 * Deletes the temporary files in `dir` that a killed runtime left mid-write (their final file
 * kept its previous content). Only one runtime owns a data folder at a time (the lock is taken
 * before the store opens), so no other process is still writing them.
 */
function removeAbandonedTemporaryFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = TEMPORARY_FILE.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid) rmSync(path.join(dir, name), { force: true });
  }
}

/** Writes a file so that readers (and a crash) see either the old or the new content, never half. */
export function writeAtomically(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}
