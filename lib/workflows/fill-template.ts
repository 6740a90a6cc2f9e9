/** JSON value as it appears in an ASL definition or a CloudFormation intrinsic. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const WHOLE_PLACEHOLDER = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;
const EMBEDDED_PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** Raised when a template and its values do not fit together (a bug in synthesis, not in a schedule). */
export class TemplateFillError extends Error {
  override name = 'TemplateFillError';
}

/**
 * Replaces `${Name}` placeholders in a parsed template, returning a new value.
 *
 * A string that is exactly `${Name}` becomes the value itself (any JSON: a number,
 * a list, a CloudFormation intrinsic object). A placeholder inside longer text is
 * replaced by the value's text, which must then be a string or a number. An unknown
 * placeholder throws, and so does a value that is never used, so template and
 * synthesis cannot drift apart silently.
 */
export function fillTemplate(
  template: JsonValue,
  values: Readonly<Record<string, JsonValue>>,
  label: string,
): JsonValue {
  const used = new Set<string>();
  const lookup = (name: string, where: string): JsonValue => {
    const value = values[name];
    if (value === undefined) {
      throw new TemplateFillError(`${label}: unknown placeholder \${${name}} at ${where}`);
    }
    used.add(name);
    return value;
  };
  const visit = (node: JsonValue, where: string): JsonValue => {
    if (typeof node === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(node);
      if (whole?.[1] !== undefined) return lookup(whole[1], where);
      return node.replace(EMBEDDED_PLACEHOLDER, (_match, name: string) => {
        const value = lookup(name, where);
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new TemplateFillError(
            `${label}: placeholder \${${name}} at ${where} is inside text but its value is not text`,
          );
        }
        return String(value);
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => visit(item, `${where}[${index}]`));
    if (node !== null && typeof node === 'object') {
      const result: JsonObject = {};
      for (const [key, child] of Object.entries(node)) result[key] = visit(child, `${where}.${key}`);
      return result;
    }
    return node;
  };
  const filled = visit(template, '$');
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new TemplateFillError(`${label}: values never used by the template: ${unused.join(', ')}`);
  }
  return filled;
}
