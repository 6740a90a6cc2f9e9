/**
 * Deep key-case conversion between the AWS JSON protocols (PascalCase members) and the
 * SDK-style objects the local services use (camelCase). Map keys inside values are renamed
 * too, so callers use these only on shapes whose keys are all members.
 */

function renameKeysDeep(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeysDeep(item, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      rename(key),
      renameKeysDeep(item, rename),
    ]),
  );
}

/** `{ContainerOverrides: [{Name: …}]}` → `{containerOverrides: [{name: …}]}`. */
export function camelCaseKeysDeep(value: unknown): unknown {
  return renameKeysDeep(value, (key) => key.charAt(0).toLowerCase() + key.slice(1));
}

/** `{containerOverrides: [{name: …}]}` → `{ContainerOverrides: [{Name: …}]}`. */
export function pascalCaseKeysDeep(value: unknown): unknown {
  return renameKeysDeep(value, (key) => key.charAt(0).toUpperCase() + key.slice(1));
}
