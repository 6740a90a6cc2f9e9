/** One wording for schema failures, so every edge (events, inputs, settings) reports them alike. */
import type { z } from 'zod';

/**
 * Each issue of a failed parse as `path: message`, `rootLabel` standing for the value
 * itself; an unknown-keys issue also names the keys.
 */
export function zodIssueMessages(error: z.ZodError, rootLabel = '(root)'): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : rootLabel;
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `${where}: ${issue.message}${keys}`;
  });
}

/** {@link zodIssueMessages} on one line, separated by semicolons. */
export function describeZodIssues(error: z.ZodError): string {
  return zodIssueMessages(error).join('; ');
}
