/**
 * Response shaping shared by the API operations and the task dispatch: epoch-second
 * dates, absent fields dropped as AWS omits them, execution data left out on request,
 * and the key casing of the aws-sdk:sfn integration.
 */

export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

export function withoutExecutionData(event: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(event);
  for (const value of Object.values(copy)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const details = value as Record<string, unknown>;
      delete details.input;
      delete details.output;
    }
  }
  return copy;
}

export function toCamelCaseKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key.charAt(0).toLowerCase() + key.slice(1),
      item,
    ]),
  );
}
