import { describe, expect, it } from 'vitest';
import { type ApiModel, loadApiModel } from '../../local/api/api-model.ts';
import { makeJob, taskDefinition, useTestRuntime } from '../local-runtime/helpers.ts';
import { rawCall } from './raw-http.ts';

const SERVICES: Array<{ model: ApiModel; jsonVersion: string }> = [
  { model: loadApiModel('stepfunctions'), jsonVersion: '1.0' },
  { model: loadApiModel('ecs'), jsonVersion: '1.1' },
];

/** Values of every JSON kind, plus strings AWS front ends choke on. */
const ODD_VALUES: unknown[] = [
  null,
  true,
  -1,
  1e308,
  2 ** 53 + 1,
  0.5,
  '',
  ' ',
  'lone \ud800 surrogate',
  '\ud83d',
  '\u0000',
  'x'.repeat(70_000),
  'arn:aws:states:ap-northeast-1:000000000000:execution:\udfff:\ufffe',
  [],
  [null, 1, 'a', { deep: ['\udc00'] }],
  {},
  { nested: { deeper: [1, { x: '\ud800' }] } },
];

function encode(value: unknown): string {
  // JSON.stringify escapes lone surrogates as \udxxx, which is what a client can send.
  return JSON.stringify(value);
}

describe('nothing a client sends gets an HTTP 5xx from the local endpoint', () => {
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 5 }) },
  ]);

  for (const { model, jsonVersion } of SERVICES) {
    it(`${model.metadata.serviceId}: every member of every operation with values of every kind`, async () => {
      const statuses = new Map<number, number>();
      for (const [operation, definition] of Object.entries(model.operations)) {
        const members = Object.keys(model.shapes[definition.input ?? '']?.members ?? {});
        const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
        const bodies = [
          '{}',
          // An unknown member nested deeper than any recursion could follow.
          `{"unknownMember": ${deep}}`,
          ...members.map((member) => `{${JSON.stringify(member)}: ${deep}}`),
          '[]',
          'null',
          '"\\ud800"',
          ...members.flatMap((member) =>
            ODD_VALUES.map((value) => `{${JSON.stringify(member)}: ${encode(value)}}`),
          ),
          // All members at once, each with a string: reaches the handlers past the type checks.
          encode(Object.fromEntries(members.map((member) => [member, 'lone \ud800']))),
        ];
        for (const body of bodies) {
          const response = await rawCall(
            local.runtime.endpoint,
            `${model.metadata.targetPrefix}.${operation}`,
            body,
            jsonVersion,
          );
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(
            response.status,
            `${operation} ${body.slice(0, 120)} → ${JSON.stringify(response.body)}`,
          ).toBeLessThan(500);
          if (response.status >= 400)
            expect(response.type, `${operation} ${body.slice(0, 120)}`).toBeDefined();
        }
      }
      expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    });
  }

  it('answers an unknown target or operation with a 4xx', async () => {
    expect((await rawCall(local.runtime.endpoint, 'AWSStepFunctions.DeleteStateMachine', '{}')).status).toBe(
      400,
    );
    expect((await rawCall(local.runtime.endpoint, 'Nope.Nothing', '{}')).status).toBe(400);
    expect((await rawCall(local.runtime.endpoint, '', '{}')).status).toBe(400);
  });
});
