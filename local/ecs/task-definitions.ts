import { SERVICE_NAME } from '../../lib/schedule/job-spec.ts';
import { taskDefinitionProperties } from '../../lib/workflows/deployment.ts';
import { CONTAINERS } from '../../lib/workflows/names.ts';
import type { LocalTaskDefinition } from './ecs-api.ts';

/**
 * The task definitions serverless.yml deploys (one per container, from
 * lib/workflows/deployment.ts), with CloudFormation intrinsics resolved the way the
 * stack would resolve them in this local "account": revision 1, image tag `local`.
 */
export function localTaskDefinitions(
  stage: string,
  region: string,
  accountId: string,
): LocalTaskDefinition[] {
  const registeredAt = new Date();
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    ContainerImageTag: 'local',
    ExportsBucket: `${SERVICE_NAME}-${stage}-exports`,
    TaskLogGroup: `/aws/ecs/${SERVICE_NAME}-${stage}`,
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if (typeof record['Fn::Sub'] === 'string') {
      return record['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
        if (name.endsWith('.Arn')) return roleArn(name.slice(0, -'.Arn'.length));
        return pseudo[name] ?? name;
      });
    }
    if (Array.isArray(record['Fn::GetAtt'])) return roleArn(String(record['Fn::GetAtt'][0]));
    if (typeof record.Ref === 'string') return pseudo[record.Ref] ?? record.Ref;
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, resolve(item)]));
  };
  const roleArn = (logicalId: string) =>
    `arn:aws:iam::${accountId}:role/${SERVICE_NAME}-${stage}-${logicalId}`;
  return CONTAINERS.map((container) => {
    const properties = resolve(taskDefinitionProperties(stage, container)) as Record<string, unknown>;
    const family = String(properties.Family);
    return {
      arn: `arn:aws:ecs:${region}:${accountId}:task-definition/${family}:1`,
      family,
      revision: 1,
      registeredAt,
      properties,
    };
  });
}
