/**
 * RedriveExecution's `clientToken`: "The API will return idempotent responses for the
 * last 10 client tokens used to successfully redrive the execution. These client tokens
 * are valid for up to 15 minutes after they are first used." (API reference).
 */
const TOKENS_PER_RESOURCE = 10;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

interface Remembered {
  token: string;
  firstUsed: number;
  response: unknown;
}

export class IdempotentResponses {
  private readonly byResource = new Map<string, Remembered[]>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** The first response for a token seen on this resource within its lifetime; otherwise runs `act` and remembers a success. */
  answer(resource: string, token: string | undefined, act: () => unknown): unknown {
    if (token === undefined) return act();
    const now = this.now();
    const live = (this.byResource.get(resource) ?? []).filter(
      (entry) => now - entry.firstUsed < TOKEN_LIFETIME_MS,
    );
    const seen = live.find((entry) => entry.token === token);
    if (seen !== undefined) return seen.response;
    const response = act();
    live.push({ token, firstUsed: now, response });
    this.byResource.set(resource, live.slice(-TOKENS_PER_RESOURCE));
    return response;
  }
}
