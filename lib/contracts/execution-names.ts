/**
 * Characters a name must not contain (API reference, StartExecution `name`): white space,
 * `< > { } [ ] ? * " # % \ ^ | ~ \` $ & , ; : /`, control characters U+0000-001F and
 * U+007F-009F, U+FFFE-FFFF, surrogates (lone ones: a pair is one valid character) and U+10FFFF.
 */
const FORBIDDEN_NAME_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what AWS forbids
  /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff]|\u{10ffff}/u;

/**
 * Why `name` is not a valid Step Functions execution name, or undefined when it is. The
 * local API answers InvalidName with it; a client can check a name before it starts anything.
 */
export function executionNameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length < 1 || length > 80) return `must be 1-80 characters, got ${length}`;
  if (!name.isWellFormed()) return 'contains a lone surrogate (U+D800-DFFF)';
  const match = FORBIDDEN_NAME_CHARACTERS.exec(name);
  if (match !== null) {
    const code = match[0].codePointAt(0) ?? 0;
    return `contains ${JSON.stringify(match[0])} (U+${code.toString(16).toUpperCase().padStart(4, '0')}); names have no white space, no control characters and none of < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : /`;
  }
  return undefined;
}
