import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { FolderInUseError } from '../lib/db/folder-lock.ts';
import { isProcessAlive } from '../lib/process-identity.ts';

/**
 * `<dataDir>/runtime.json`: written by `npm start` while it runs, read by batchctl to
 * find the local Step Functions endpoint. The data folder is `SFN_BATCH_DATA_DIR`, or
 * `.data` in the current folder (the same rule as the database's PGlite folder).
 */

export const runtimeFileSchema = z.object({
  endpoint: z.url(),
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  stage: z.string().min(1),
  consoleUrl: z.url().optional(),
  /** The database process that holds the embedded database's folder (absent with DATABASE_URL). */
  databasePid: z.number().int().positive().optional(),
});
export type RuntimeFile = z.infer<typeof runtimeFileSchema>;

/** The local data folder: `SFN_BATCH_DATA_DIR`, else `./.data`. */
export function resolveDataDir(environment: NodeJS.ProcessEnv = process.env): string {
  const configured = environment.SFN_BATCH_DATA_DIR?.trim();
  return path.resolve(configured ? configured : '.data');
}

export function runtimeFilePath(dataDir: string): string {
  return path.join(dataDir, 'runtime.json');
}

export async function writeRuntimeFile(dataDir: string, content: RuntimeFile): Promise<void> {
  await writeFile(runtimeFilePath(dataDir), `${JSON.stringify(content, null, 2)}\n`);
}

/** Removes runtime.json if it is still ours (a newer runtime may have replaced it). */
export async function removeRuntimeFile(dataDir: string, pid: number): Promise<void> {
  const current = await readRuntimeFile(dataDir).catch(() => undefined);
  if (current === undefined || current.pid === pid) await rm(runtimeFilePath(dataDir), { force: true });
}

/** The parsed file, `undefined` when there is none; throws naming the file when it is malformed. */
export async function readRuntimeFile(dataDir: string): Promise<RuntimeFile | undefined> {
  const file = runtimeFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; delete it and restart npm start`);
  }
  const parsed = runtimeFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `${file} is malformed (${parsed.error.issues[0]?.message ?? 'unknown'}); delete it and restart npm start`,
    );
  }
  return parsed.data;
}

/** Whether a process with this id exists (one definition, in lib/process-identity.ts). */
export { isProcessAlive };

/**
 * The refusal for a data folder another process holds, naming the running local runtime
 * (pid, command, API endpoint from runtime.json) when that is the holder.
 */
export async function describeFolderInUse(error: FolderInUseError, dataDir: string): Promise<string> {
  const runtime = await readRuntimeFile(dataDir).catch(() => undefined);
  const { holder } = error;
  if (runtime === undefined || (runtime.pid !== holder.pid && runtime.databasePid !== holder.pid))
    return error.message;
  // npm start was killed and its database process has not closed the folder (database-process.ts
  // waited 30 s for it): it ignores SIGINT and SIGTERM, and killing npm start's pid does nothing.
  if (holder.pid !== runtime.pid && !isProcessAlive(runtime.pid)) {
    return `${error.folder} is still held by pid ${holder.pid} ("${holder.command}"), the database process of an npm start (pid ${runtime.pid}, up since ${runtime.startedAt}) that has ended; it has not closed the database. Wait a little and try again; if pid ${holder.pid} is still there, end it with kill -KILL ${holder.pid} (it ignores SIGINT and SIGTERM: it closes only when its npm start asks or is gone), or use another data folder (SFN_BATCH_DATA_DIR).`;
  }
  const holderName = holder.pid === runtime.pid ? '' : `, through its database process pid ${holder.pid}`;
  return `${error.folder} is in use by the running local runtime (npm start): pid ${runtime.pid}${holderName}, "${holder.command}", Step Functions API ${runtime.endpoint}, up since ${runtime.startedAt}. Stop it first (Ctrl-C in its terminal, or kill ${runtime.pid}), or use another data folder (SFN_BATCH_DATA_DIR).`;
}
