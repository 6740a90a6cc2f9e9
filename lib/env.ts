/**
 * Environment parsing shared by the records database and object storage settings: one
 * rule for empty values and one error shape, so every variable is read and reported alike.
 */
import { z } from 'zod';

/**
 * `schema`, optional, with an empty value read as unset (`FOO=` in a shell or an env
 * file means "not set", not "set to nothing").
 */
export function emptyAsUnset<T extends z.ZodType>(schema: T) {
  return schema.optional().or(z.literal('').transform(() => undefined));
}

/** `SFN_BATCH_DATA_DIR`: root folder of local data (PGlite in `<dir>/pglite`, objects in `<dir>/objects`). */
export const dataDirSchema = emptyAsUnset(z.string().trim().min(1));

/**
 * Parses the variables named by `schema`'s keys from `env` (other variables are ignored).
 * On bad input throws `Invalid <area> environment <VARIABLE>: <message>`, where the schema's
 * message should say what a valid value looks like.
 */
export function parseEnv<T extends z.ZodObject>(
  schema: T,
  env: NodeJS.ProcessEnv,
  area: string,
): z.output<T> {
  const subset = Object.fromEntries(Object.keys(schema.shape).map((name) => [name, env[name]]));
  const parsed = schema.safeParse(subset);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid ${area} environment ${issue?.path.join('.') ?? ''}: ${issue?.message ?? parsed.error.message}`,
    );
  }
  return parsed.data;
}
