import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, runProcess } from '../support/processes.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export interface CfnResource {
  Type: string;
  Properties: Record<string, Json>;
  DependsOn?: Json;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters: Record<string, Json>;
  Outputs: Record<string, Json>;
}

export interface PackagedStage {
  template: CfnTemplate;
  /** The CloudFormation template, in a private copy of `.serverless`. */
  templatePath: string;
  /** That copy of `.serverless`: the template and one `<functionKey>.zip` per Lambda. */
  directory: string;
  log: string;
}

/** What packaging reads: a change to any of these makes a fresh packaging run. */
const PACKAGING_INPUTS = [
  'functions',
  'lib',
  'statemachines',
  'schedules',
  'serverless',
  'scripts',
  'serverless.yml',
  'package.json',
  'package-lock.json',
];

/** Paths, sizes and modification times of every packaging input, hashed. */
function inputsStamp(): string {
  const hash = createHash('sha256');
  const visit = (relative: string) => {
    const absolute = path.join(REPO, relative);
    if (!existsSync(absolute)) return;
    const stat = statSync(absolute);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(absolute).sort()) visit(path.join(relative, entry));
    } else {
      hash.update(`${relative}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  };
  for (const input of PACKAGING_INPUTS) visit(input);
  return hash.digest('hex');
}

/**
 * Holds a lock directory while `fn` runs. Test files run in parallel workers and
 * packaging writes the shared `dist/` and `.serverless/`, so packaging runs one at a time.
 * A lock left by a dead process is taken over.
 */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      let alive = true;
      try {
        if (owner > 0) process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`packaging lock ${lock} is held by process ${owner}`);
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Runs `npm run package`'s script for a stage (slow: esbuild + osls, about 30 s) and
 * returns a private copy of its output. Every test file that needs the packaged
 * service shares one run: the copy is reused while no packaging input has changed.
 */
export async function packageTemplate(stage: string): Promise<PackagedStage> {
  const key = createHash('sha256').update(REPO).digest('hex').slice(0, 12);
  const directory = path.join(tmpdir(), `sfn-batch-package-${key}-${stage}`);
  const templatePath = path.join(directory, 'cloudformation-template-update-stack.json');
  const stampPath = path.join(directory, 'inputs.stamp');
  const logPath = path.join(directory, 'package.log');
  await withLock(`${directory}.lock`, async () => {
    const stamp = inputsStamp();
    if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return;
    const result = await runProcess(process.execPath, ['scripts/package.ts', '--stage', stage], {
      cwd: REPO,
      // No credentials on purpose: packaging must not need AWS.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
    const log = result.stdout + result.stderr;
    if (result.code !== 0) throw new Error(`npm run package failed (exit ${result.code}):\n${log}`);
    rmSync(directory, { recursive: true, force: true });
    cpSync(path.join(REPO, '.serverless'), directory, { recursive: true });
    writeFileSync(logPath, log);
    writeFileSync(stampPath, stamp);
  });
  return {
    template: JSON.parse(await readFile(templatePath, 'utf8')) as CfnTemplate,
    templatePath,
    directory,
    log: readFileSync(logPath, 'utf8'),
  };
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

const FAKE_ACCOUNT = '111122223333';
const FAKE_REGION = 'eu-west-1';
const FAKE_LISTS: Record<string, string[]> = {
  SubnetIds: ['subnet-0a', 'subnet-0b'],
  SecurityGroupIds: ['sg-0a'],
};

/** Evaluates the intrinsics a definition's `Fn::Sub` variables use, with fake deployment values. */
function evaluate(value: Json): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if ('Ref' in value && typeof value.Ref === 'string') {
    return FAKE_LISTS[value.Ref] ?? (value.Ref === 'AssignPublicIp' ? 'DISABLED' : `ref-${value.Ref}`);
  }
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    return `arn:aws:fake:${FAKE_REGION}:${FAKE_ACCOUNT}:${String(getAtt[0])}`;
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, list] = join;
    const items = evaluate(list ?? []);
    if (!Array.isArray(items)) throw new Error('Fn::Join over a non-list');
    return items.join(String(separator));
  }
  throw new Error(`unsupported intrinsic ${JSON.stringify(value)}`);
}

/** The state machine definition CloudFormation would create, with fake ARNs and subnets. */
export function resolveDefinition(definitionString: Json): Record<string, Json> {
  if (typeof definitionString === 'string') return JSON.parse(definitionString) as Record<string, Json>;
  const sub = (definitionString as { 'Fn::Sub': Json })['Fn::Sub'];
  const [text, variables] = Array.isArray(sub) ? sub : [sub, {}];
  const lookup = (variables ?? {}) as Record<string, Json>;
  const resolved = String(text).replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
    if (name === 'AWS::Region') return FAKE_REGION;
    if (name === 'AWS::AccountId') return FAKE_ACCOUNT;
    if (name === 'AWS::Partition') return 'aws';
    const variable = lookup[name];
    if (variable === undefined) throw new Error(`Fn::Sub variable \${${name}} is not defined`);
    return String(evaluate(variable));
  });
  return JSON.parse(resolved) as Record<string, Json>;
}
