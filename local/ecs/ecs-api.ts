import { z } from 'zod';
import { loadApiModel } from '../api/api-model.ts';
import type { DocumentedRule, JsonApiService } from '../api/json-api.ts';
import { camelCaseKeysDeep } from '../api/key-case.ts';
import { ApiError } from '../api/validate-request.ts';
import type { RegisteredTask, TaskRegistry } from './task-registry.ts';

/** The committed ECS model subset (local/api/models/ecs.json). */
export const ECS_MODEL = loadApiModel('ecs');

/** A task definition as deployed (CloudFormation properties, intrinsics resolved for this runtime). */
export interface LocalTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  registeredAt: Date;
  /** AWS::ECS::TaskDefinition Properties (PascalCase), as lib/workflows/deployment.ts builds them. */
  properties: Record<string, unknown>;
}

export interface EcsApiOptions {
  registry: TaskRegistry;
  taskDefinitions: LocalTaskDefinition[];
  /** The runtime's cluster (`sfn-batch-<stage>`); clusters tasks name are known too. */
  clusterArn: string;
  region: string;
  accountId: string;
}

const PAGE_MAX = 100;

/**
 * Constraints the ECS API reference documents beyond the model (which has no ranges
 * for these members): page sizes 1-100, DescribeTasks up to 100 tasks, StopTask reason
 * up to 255 characters.
 */
export const ECS_RULES: readonly DocumentedRule[] = [
  {
    operations: ['ListTasks', 'ListTaskDefinitions'],
    check: (body) =>
      typeof body.maxResults === 'number' && (body.maxResults < 1 || body.maxResults > PAGE_MAX)
        ? new ApiError('InvalidParameterException', 'maxResults must be between 1 and 100.')
        : undefined,
  },
  {
    operations: ['DescribeTasks'],
    check: (body) =>
      Array.isArray(body.tasks) && (body.tasks.length === 0 || body.tasks.length > PAGE_MAX)
        ? new ApiError('InvalidParameterException', 'Tasks must contain between 1 and 100 task IDs or ARNs.')
        : undefined,
  },
  {
    operations: ['StopTask'],
    check: (body) =>
      typeof body.reason === 'string' && body.reason.length > 255
        ? new ApiError('InvalidParameterException', 'Reason can be up to 255 characters.')
        : undefined,
  },
];

/** The ECS API (JSON 1.1) over the local task registry and the deployed task definitions. */
export function ecsApiService(options: EcsApiOptions): JsonApiService {
  return {
    model: ECS_MODEL,
    errorsByShape: {},
    validationErrors: ['InvalidParameterException', 'ClientException'],
    rules: ECS_RULES,
    call: async (operation, body) => {
      switch (operation) {
        case 'ListTasks':
          return listTasks(options, body);
        case 'DescribeTasks':
          return describeTasks(options, body);
        case 'StopTask':
          return stopTask(options, body);
        case 'ListTaskDefinitions':
          return listTaskDefinitions(options, body);
        case 'DescribeTaskDefinition':
          return describeTaskDefinition(options, body);
        default:
          throw new ApiError(
            'UnknownOperationException',
            `ECS operation ${operation} is not implemented locally`,
          );
      }
    },
  };
}

function clusterArnOf(options: EcsApiOptions, cluster: unknown): string {
  const name = typeof cluster === 'string' && cluster !== '' ? cluster : 'default';
  const arn = name.startsWith('arn:')
    ? name
    : `arn:aws:ecs:${options.region}:${options.accountId}:cluster/${name}`;
  const known = new Set([options.clusterArn, ...options.registry.all().map((task) => task.clusterArn)]);
  if (!known.has(arn)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return arn;
}

const listTasksSchema = z.object({
  cluster: z.string().optional(),
  family: z.string().optional(),
  startedBy: z.string().optional(),
  serviceName: z.string().optional(),
  containerInstance: z.string().optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
  launchType: z.string().optional(),
  maxResults: z.number().optional(),
  nextToken: z.string().optional(),
});

function listTasks(options: EcsApiOptions, body: unknown): unknown {
  const request = listTasksSchema.parse(body);
  const clusterArn = clusterArnOf(options, request.cluster);
  if (request.serviceName !== undefined) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  // "Although you can filter results based on a desired status of PENDING, this doesn't return any results."
  const desired = request.desiredStatus ?? 'RUNNING';
  const tasks = options.registry
    .all()
    .filter((task) => task.clusterArn === clusterArn)
    .filter((task) => request.family === undefined || task.family === request.family)
    .filter((task) => request.startedBy === undefined || task.startedBy === request.startedBy)
    // Fargate tasks run on no container instance.
    .filter(() => request.containerInstance === undefined)
    .map((task) => ({ task, description: task.describe() }))
    .filter(({ description }) => desired !== 'PENDING' && description.DesiredStatus === desired)
    .filter(
      ({ description }) => request.launchType === undefined || description.LaunchType === request.launchType,
    )
    .sort((a, b) => Number(b.description.CreatedAt) - Number(a.description.CreatedAt));
  const page = paginate(
    tasks.map(({ task }) => task.taskArn),
    request.maxResults,
    request.nextToken,
  );
  return { taskArns: page.items, ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) };
}

const describeTasksSchema = z.object({
  cluster: z.string().optional(),
  tasks: z.array(z.string()),
  include: z.array(z.string()).optional(),
});

function describeTasks(options: EcsApiOptions, body: unknown): unknown {
  const request = describeTasksSchema.parse(body);
  const clusterArn = clusterArnOf(options, request.cluster);
  const withTags = request.include?.includes('TAGS') === true;
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const reference of request.tasks) {
    const task = options.registry.find(reference, clusterArn);
    if (task === undefined || task.clusterArn !== clusterArn) {
      failures.push({
        arn: reference.startsWith('arn:')
          ? reference
          : `${clusterArn.replace(':cluster/', ':task/')}/${reference}`,
        reason: 'MISSING',
      });
    } else {
      tasks.push(taskForApi(task, withTags));
    }
  }
  return { tasks, failures };
}

const stopTaskSchema = z.object({
  cluster: z.string().optional(),
  task: z.string(),
  reason: z.string().optional(),
});

async function stopTask(options: EcsApiOptions, body: unknown): Promise<unknown> {
  const request = stopTaskSchema.parse(body);
  const clusterArn = clusterArnOf(options, request.cluster);
  const task = options.registry.find(request.task, clusterArn);
  if (task === undefined || task.clusterArn !== clusterArn) {
    throw new ApiError('InvalidParameterException', 'The referenced task was not found.');
  }
  // StopTask returns at once (desiredStatus STOPPED); the container gets SIGTERM, then SIGKILL after its stop timeout.
  void task.stop('UserInitiated', request.reason ?? 'Task stopped by user');
  await new Promise((resolve) => setImmediate(resolve));
  return { task: taskForApi(task, false) };
}

const listTaskDefinitionsSchema = z.object({
  familyPrefix: z.string().optional(),
  status: z.string().optional(),
  sort: z.enum(['ASC', 'DESC']).optional(),
  maxResults: z.number().optional(),
  nextToken: z.string().optional(),
});

function listTaskDefinitions(options: EcsApiOptions, body: unknown): unknown {
  const request = listTaskDefinitionsSchema.parse(body);
  // Every local task definition is ACTIVE (revision 1 of the deployed family).
  const arns =
    (request.status ?? 'ACTIVE') !== 'ACTIVE'
      ? []
      : options.taskDefinitions
          .filter(
            (definition) =>
              request.familyPrefix === undefined || definition.family.startsWith(request.familyPrefix),
          )
          .map((definition) => definition.arn)
          .sort();
  if (request.sort === 'DESC') arns.reverse();
  const page = paginate(arns, request.maxResults, request.nextToken);
  return {
    taskDefinitionArns: page.items,
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
  };
}

const describeTaskDefinitionSchema = z.object({
  taskDefinition: z.string(),
  include: z.array(z.string()).optional(),
});

function describeTaskDefinition(options: EcsApiOptions, body: unknown): unknown {
  const request = describeTaskDefinitionSchema.parse(body);
  const reference = request.taskDefinition;
  const definition = options.taskDefinitions.find(
    (candidate) =>
      candidate.arn === reference ||
      candidate.family === reference ||
      `${candidate.family}:${candidate.revision}` === reference,
  );
  if (definition === undefined) throw new ApiError('ClientException', 'Unable to describe task definition.');
  const { Tags: tags, Family: _family, ...properties } = definition.properties;
  const described = camelCaseKeysDeep(properties) as Record<string, unknown>;
  return {
    taskDefinition: {
      taskDefinitionArn: definition.arn,
      family: definition.family,
      revision: definition.revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: definition.registeredAt.getTime() / 1000,
      ...described,
    },
    ...(request.include?.includes('TAGS') === true ? { tags: camelCaseKeysDeep(tags ?? []) } : {}),
  };
}

const TIMESTAMP_MEMBERS = new Set([
  'connectivityAt',
  'createdAt',
  'executionStoppedAt',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'stoppedAt',
  'stoppingAt',
]);

/** The registry's task (PascalCase, epoch ms as Step Functions shows it) in the ECS API's shape (camelCase, epoch seconds). */
export function taskForApi(task: RegisteredTask, withTags: boolean): Record<string, unknown> {
  const described = camelCaseKeysDeep(task.describe()) as Record<string, unknown>;
  for (const member of TIMESTAMP_MEMBERS) {
    const value = described[member];
    if (typeof value === 'number') described[member] = value / 1000;
  }
  if (!withTags) delete described.tags;
  return described;
}

function paginate<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { items: T[]; nextToken?: string } {
  let offset = 0;
  if (nextToken !== undefined) {
    const parsed = z
      .object({ offset: z.number().int().min(0) })
      .safeParse(safeJson(Buffer.from(nextToken, 'base64url').toString('utf8')));
    if (!parsed.success) throw new ApiError('InvalidParameterException', 'Invalid nextToken.');
    offset = parsed.data.offset;
  }
  const size = maxResults ?? PAGE_MAX;
  const next = offset + size;
  return next < items.length
    ? {
        items: items.slice(offset, next),
        nextToken: Buffer.from(JSON.stringify({ offset: next })).toString('base64url'),
      }
    : { items: items.slice(offset, next) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
