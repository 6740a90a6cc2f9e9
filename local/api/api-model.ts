import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The implemented subset of an AWS service model (botocore's `service-2.json`), as
 * committed in `local/api/models/`. Shapes keep only what validation and tests read.
 */
const memberRefSchema = z.object({ shape: z.string(), idempotencyToken: z.literal(true).optional() });
const shapeSchema = z.object({
  type: z.string(),
  required: z.array(z.string()).optional(),
  members: z.record(z.string(), memberRefSchema).optional(),
  member: memberRefSchema.optional(),
  key: memberRefSchema.optional(),
  value: memberRefSchema.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  pattern: z.string().optional(),
  enum: z.array(z.string()).optional(),
  sensitive: z.literal(true).optional(),
  exception: z.literal(true).optional(),
  httpStatusCode: z.number().optional(),
});
export type ShapeDefinition = z.infer<typeof shapeSchema>;
const operationSchema = z.object({
  input: z.string().optional(),
  output: z.string().optional(),
  errors: z.array(z.string()),
});
export type OperationDefinition = z.infer<typeof operationSchema>;
const apiModelSchema = z.object({
  metadata: z.object({
    apiVersion: z.string(),
    jsonVersion: z.string(),
    protocol: z.string(),
    targetPrefix: z.string(),
    serviceId: z.string(),
  }),
  operations: z.record(z.string(), operationSchema),
  shapes: z.record(z.string(), shapeSchema),
});
export type ApiModel = z.infer<typeof apiModelSchema>;

/** Which operations of which botocore model the local runtime implements. */
export const API_MODEL_SOURCES = {
  stepfunctions: {
    modelPath: 'stepfunctions/2016-11-23/service-2.json.gz',
    operations: [
      'StartExecution',
      'DescribeExecution',
      'ListExecutions',
      'StopExecution',
      'GetExecutionHistory',
      'RedriveExecution',
      'ListStateMachines',
      'DescribeStateMachine',
      'DescribeStateMachineForExecution',
      'ListTagsForResource',
    ],
  },
  ecs: {
    modelPath: 'ecs/2014-11-13/service-2.json.gz',
    operations: ['ListTasks', 'DescribeTasks', 'StopTask', 'ListTaskDefinitions', 'DescribeTaskDefinition'],
  },
} as const;

const botocoreModelSchema = z.object({
  metadata: z.record(z.string(), z.unknown()),
  operations: z.record(
    z.string(),
    z.object({
      input: z.object({ shape: z.string() }).optional(),
      output: z.object({ shape: z.string() }).optional(),
      errors: z.array(z.object({ shape: z.string() })).optional(),
    }),
  ),
  shapes: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** The subset of a full botocore model that `operations` reach (used by scripts/extract-api-models.ts). */
export function extractApiModel(fullModel: unknown, operations: readonly string[]): ApiModel {
  const full = botocoreModelSchema.parse(fullModel);
  const shapes: Record<string, ShapeDefinition> = {};
  const visit = (name: string) => {
    if (shapes[name] !== undefined) return;
    const raw = full.shapes[name];
    if (raw === undefined) throw new Error(`shape ${name} is not in the model`);
    const ref = (value: unknown) => {
      const parsed = z.object({ shape: z.string(), idempotencyToken: z.boolean().optional() }).parse(value);
      visit(parsed.shape);
      return parsed.idempotencyToken === true
        ? { shape: parsed.shape, idempotencyToken: true as const }
        : { shape: parsed.shape };
    };
    const shape: ShapeDefinition = { type: z.string().parse(raw.type) };
    shapes[name] = shape;
    if (Array.isArray(raw.required)) shape.required = z.array(z.string()).parse(raw.required);
    if (raw.members !== undefined) {
      shape.members = Object.fromEntries(
        Object.entries(z.record(z.string(), z.unknown()).parse(raw.members)).map(([member, value]) => [
          member,
          ref(value),
        ]),
      );
    }
    if (raw.member !== undefined) shape.member = ref(raw.member);
    if (raw.key !== undefined) shape.key = ref(raw.key);
    if (raw.value !== undefined) shape.value = ref(raw.value);
    if (typeof raw.min === 'number') shape.min = raw.min;
    if (typeof raw.max === 'number') shape.max = raw.max;
    if (typeof raw.pattern === 'string') shape.pattern = raw.pattern;
    if (Array.isArray(raw.enum)) shape.enum = z.array(z.string()).parse(raw.enum);
    if (raw.sensitive === true) shape.sensitive = true;
    if (raw.exception === true) shape.exception = true;
    const error = z.object({ httpStatusCode: z.number().optional() }).optional().parse(raw.error);
    if (error?.httpStatusCode !== undefined) shape.httpStatusCode = error.httpStatusCode;
  };
  const extracted: ApiModel['operations'] = {};
  for (const name of operations) {
    const operation = full.operations[name];
    if (operation === undefined) throw new Error(`operation ${name} is not in the model`);
    const errors = (operation.errors ?? []).map((error) => error.shape);
    for (const shape of [operation.input?.shape, operation.output?.shape, ...errors]) {
      if (shape !== undefined) visit(shape);
    }
    extracted[name] = {
      ...(operation.input === undefined ? {} : { input: operation.input.shape }),
      ...(operation.output === undefined ? {} : { output: operation.output.shape }),
      errors,
    };
  }
  const metadata = full.metadata;
  return {
    metadata: {
      apiVersion: z.string().parse(metadata.apiVersion),
      jsonVersion: z.string().parse(metadata.jsonVersion),
      protocol: z.string().parse(metadata.protocol),
      targetPrefix: z.string().parse(metadata.targetPrefix),
      serviceId: z.string().parse(metadata.serviceId),
    },
    operations: extracted,
    shapes: Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b))),
  };
}

const MODELS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'models');

/** The committed model subset of one service. */
export function loadApiModel(service: keyof typeof API_MODEL_SOURCES): ApiModel {
  return apiModelSchema.parse(JSON.parse(readFileSync(path.join(MODELS_DIR, `${service}.json`), 'utf8')));
}
