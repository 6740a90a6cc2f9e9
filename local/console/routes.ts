/**
 * The console's HTTP routes on the local Step Functions endpoint: the built single-page
 * app under /console/, and a small read-only job metadata API under /_local/console/.
 * Everything about executions goes through the Step Functions API on the same origin.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import type { ExecutionInput } from '../../lib/contracts/execution-input.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { CONSOLE_DIST_DIR } from './build.ts';
import { calendarRuns, describeJob, type JobCatalogueSource, listJobs } from './job-metadata.ts';
import { SECURITY_HEADERS } from './request-guard.ts';

/** The path the console lives under; notifications link to `<endpoint>/console/executions/<arn>`. */
export const CONSOLE_PATH = '/console';

export interface ConsoleRoutesOptions extends JobCatalogueSource {
  /** The execution-input rule every entry point applies (batchctl run, the console). */
  validateInput(job: JobSpec, value: unknown): { input: ExecutionInput; problems: string[] };
  /** Default name of a manual execution. */
  manualExecutionName(job: string, now: Date): string;
  /** Built assets (default: local/console/dist). */
  distDir?: string;
  now?: () => Date;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const MAX_VALIDATE_BODY_BYTES = 1024 * 1024;
/** Past this, an oversized body is not read to its end: the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
/** A week and a day: the calendar's widest view plus a margin for zone offsets. */
const MAX_CALENDAR_SPAN_MS = 8 * 24 * 3600 * 1000;

const validateRequestSchema = z.object({
  job: z.string(),
  /** The editor's text, parsed here so a JSON syntax error is reported like any other problem. */
  input: z.string(),
});

/** A request handler for the API server: resolves true when the request was a console route. */
export function createConsoleRoutes(options: ConsoleRoutesOptions) {
  const distDir = options.distDir ?? CONSOLE_DIST_DIR;
  const now = options.now ?? (() => new Date());
  const jobsByName = new Map(options.jobs.map((job) => [job.name, job]));

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> => {
    const { pathname } = url;
    if (pathname === '/' && request.method === 'GET') {
      response.writeHead(302, { ...SECURITY_HEADERS, Location: `${CONSOLE_PATH}/` });
      response.end();
      return true;
    }
    if (pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`)) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(response, 405, { message: 'The console pages are GET only' });
        return true;
      }
      if (pathname.startsWith(`${CONSOLE_PATH}/assets/`)) {
        await sendAsset(response, distDir, pathname.slice(`${CONSOLE_PATH}/assets/`.length));
        return true;
      }
      // Any other path is a page of the single-page app: it routes on the client.
      await sendAsset(response, distDir, 'index.html');
      return true;
    }
    if (!pathname.startsWith('/_local/console/')) return false;
    const route = pathname.slice('/_local/console/'.length);
    if (route === 'validate-input') {
      if (request.method !== 'POST') {
        sendJson(response, 405, { message: 'POST a JSON body {"job", "input"}' });
        return true;
      }
      await validate(request, response, options, jobsByName, now());
      return true;
    }
    if (request.method !== 'GET') {
      sendJson(response, 405, { message: 'Job metadata is read-only (GET)' });
      return true;
    }
    if (route === 'jobs') {
      sendJson(response, 200, { jobs: listJobs(options, now()) });
      return true;
    }
    if (route.startsWith('jobs/')) {
      const job = jobsByName.get(safeDecode(route.slice('jobs/'.length)));
      if (job === undefined) sendJson(response, 404, { message: `No job ${route.slice(5)} in schedules/` });
      else sendJson(response, 200, describeJob(options, job, now()));
      return true;
    }
    if (route === 'calendar') {
      const from = new Date(url.searchParams.get('from') ?? '');
      const to = new Date(url.searchParams.get('to') ?? '');
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
        sendJson(response, 400, { message: 'from and to must be ISO instants with from < to' });
      } else if (to.getTime() - from.getTime() > MAX_CALENDAR_SPAN_MS) {
        sendJson(response, 400, { message: 'The calendar shows at most 8 days at once' });
      } else {
        sendJson(response, 200, calendarRuns(options, from, to));
      }
      return true;
    }
    sendJson(response, 404, { message: `No console route ${pathname}` });
    return true;
  };
}

async function validate(
  request: IncomingMessage,
  response: ServerResponse,
  options: ConsoleRoutesOptions,
  jobsByName: ReadonlyMap<string, JobSpec>,
  now: Date,
): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type !== 'application/json') {
    request.resume();
    sendJson(response, 415, { message: 'Send the body as application/json' });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end and dropped, so the client gets the 413 (leaving
  // mid-body cut the connection, and the next request on it got ECONNRESET); past
  // MAX_DRAIN_BYTES the connection is cut.
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_DRAIN_BYTES) {
      request.destroy();
      return;
    }
    if (size <= MAX_VALIDATE_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_VALIDATE_BODY_BYTES) {
    response.setHeader('Connection', 'close');
    sendJson(response, 413, { message: 'The input is over 1 MiB (Step Functions allows 256 KiB)' });
    return;
  }
  const parsed = validateRequestSchema.safeParse(safeJson(Buffer.concat(chunks).toString('utf8')));
  if (!parsed.success) {
    sendJson(response, 400, { message: 'Expected a JSON body {"job": string, "input": string}' });
    return;
  }
  const job = jobsByName.get(parsed.data.job);
  if (job === undefined) {
    sendJson(response, 404, { message: `No job ${parsed.data.job} in schedules/` });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(parsed.data.input);
  } catch (error) {
    sendJson(response, 200, {
      problems: [`The input is not valid JSON: ${(error as Error).message}. Nothing was started.`],
      input: null,
      name: options.manualExecutionName(job.name, now),
    });
    return;
  }
  const { input, problems } = options.validateInput(job, value);
  sendJson(response, 200, {
    problems,
    input: problems.length === 0 ? input : null,
    name: options.manualExecutionName(job.name, now),
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function sendAsset(response: ServerResponse, distDir: string, name: string): Promise<void> {
  // Only plain file names from the build folder: no paths, no dot files.
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$/.test(name)) {
    sendJson(response, 404, { message: 'No such console asset' });
    return;
  }
  const file = path.join(distDir, name);
  if (!existsSync(file)) {
    if (name === 'index.html') {
      sendText(
        response,
        503,
        'text/plain; charset=utf-8',
        'The console is not built. Run "npm run build" (npm start builds it when it starts).\n',
      );
    } else sendJson(response, 404, { message: `No console asset ${name}` });
    return;
  }
  const body = await readFile(file);
  sendText(response, 200, CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream', body);
}

function sendText(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}
