import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../support/processes.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

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

/** Runs `npm run package`'s script for a stage (slow: esbuild + osls, about 30 s) and reads the template. */
export async function packageTemplate(
  stage: string,
): Promise<{ template: CfnTemplate; templatePath: string; log: string }> {
  const result = await runProcess(process.execPath, ['scripts/package.ts', '--stage', stage], {
    cwd: REPO_ROOT,
    // No credentials on purpose: packaging must not need AWS.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
  });
  const log = result.stdout + result.stderr;
  if (result.code !== 0) throw new Error(`npm run package failed (exit ${result.code}):\n${log}`);
  const templatePath = path.join(REPO_ROOT, '.serverless', 'cloudformation-template-update-stack.json');
  return { template: JSON.parse(await readFile(templatePath, 'utf8')) as CfnTemplate, templatePath, log };
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
