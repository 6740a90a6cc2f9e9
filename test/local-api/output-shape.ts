import type { ApiModel } from '../../local/api/api-model.ts';

/**
 * Members a response has that its modelled output shape does not, and required members
 * it lacks, walking nested structures, lists and maps. Empty when the response is
 * exactly as modelled.
 */
export function outputProblems(model: ApiModel, operation: string, output: unknown): string[] {
  const problems: string[] = [];
  const visit = (shapeName: string, value: unknown, path: string) => {
    const shape = model.shapes[shapeName];
    if (shape === undefined || value === undefined || value === null) return;
    if (shape.type === 'structure') {
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`${path}: expected a structure`);
        return;
      }
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const member = shape.members?.[key];
        if (member === undefined) problems.push(`${path}.${key}: not a member of ${shapeName}`);
        else visit(member.shape, record[key], `${path}.${key}`);
      }
      for (const required of shape.required ?? []) {
        if (record[required] === undefined)
          problems.push(`${path}.${required}: required by ${shapeName}, missing`);
      }
    } else if (shape.type === 'list') {
      if (!Array.isArray(value)) problems.push(`${path}: expected a list`);
      else {
        for (const [index, item] of value.entries())
          visit(shape.member?.shape ?? '', item, `${path}[${index}]`);
      }
    } else if (shape.type === 'map') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        visit(shape.value?.shape ?? '', item, `${path}.${key}`);
    } else if (shape.type === 'string' && typeof value !== 'string') {
      problems.push(`${path}: expected a string`);
    } else if (shape.type === 'string' && shape.enum !== undefined && !shape.enum.includes(value as string)) {
      problems.push(`${path}: ${String(value)} is not one of ${shape.enum.join(', ')}`);
    } else if (
      ['integer', 'long', 'timestamp', 'float', 'double'].includes(shape.type) &&
      typeof value !== 'number'
    ) {
      problems.push(`${path}: expected a number`);
    } else if (shape.type === 'boolean' && typeof value !== 'boolean') {
      problems.push(`${path}: expected a boolean`);
    }
  };
  visit(model.operations[operation]?.output ?? '', output, operation);
  return problems;
}
