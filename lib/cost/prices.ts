/**
 * Unit prices per AWS region, one data file per region in `lib/cost/prices/`. Every
 * price carries the page it came from and the day it was checked; a price the search
 * could not confirm is kept with `confirmed: false` and every output marks it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const priceSchema = z.strictObject({
  value: z.number().nonnegative(),
  unit: z.string().min(1),
  source: z.string().min(1),
  checked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-11-30'),
  confirmed: z.boolean(),
  note: z.string().optional(),
  /** EC2 instance types only: size of the instance. */
  vcpu: z.number().positive().optional(),
  memoryGiB: z.number().positive().optional(),
});
export type Price = z.output<typeof priceSchema>;

const REQUIRED_PRICES = [
  'fargateVcpuHour',
  'fargateGbHour',
  'fargateSpotDiscount',
  'stepFunctionsTransitionPer1000',
  'lambdaRequestPerMillion',
  'lambdaArmGbSecond',
  'schedulerInvocationPerMillion',
  'logsIngestionGb',
  'codebuildGeneral1MediumMinute',
] as const;
const REQUIRED_FREE_TIERS = [
  'stepFunctionsTransitions',
  'lambdaRequests',
  'lambdaGbSeconds',
  'schedulerInvocations',
  'logsIngestionGb',
  'codebuildMinutes',
] as const;

export type PriceKey = (typeof REQUIRED_PRICES)[number];
export type FreeTierKey = (typeof REQUIRED_FREE_TIERS)[number];

const priceFileSchema = z.strictObject({
  region: z.string(),
  currency: z.literal('USD'),
  prices: z.record(z.string(), priceSchema),
  freeTiers: z.record(z.string(), priceSchema),
});

export interface PriceBook {
  region: string;
  currency: 'USD';
  prices: Record<PriceKey, Price>;
  freeTiers: Record<FreeTierKey, Price>;
  /** On-demand hourly price per EC2 instance type (keys `ec2:<type>` in the file). */
  instances: Record<string, Price>;
  /** Path of the data file, for messages. */
  file: string;
}

/** Raised for an unknown region or a malformed price file (names the file and the field). */
export class PriceDataError extends Error {
  override name = 'PriceDataError';
}

const PRICES_DIR = new URL('./prices/', import.meta.url);

/** Regions that have a price file. */
export function pricedRegions(): string[] {
  return readdirSync(PRICES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** Loads and checks `lib/cost/prices/<region>.json`. */
export function loadPriceBook(region: string): PriceBook {
  const regions = pricedRegions();
  if (!regions.includes(region)) {
    throw new PriceDataError(
      `no price data for region "${region}": add lib/cost/prices/${region}.json (regions with prices: ${regions.join(', ')})`,
    );
  }
  const file = `lib/cost/prices/${region}.json`;
  const parsed = priceFileSchema.safeParse(
    JSON.parse(readFileSync(new URL(`${region}.json`, PRICES_DIR), 'utf8')),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PriceDataError(`${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`);
  }
  const data = parsed.data;
  for (const key of REQUIRED_PRICES) {
    if (data.prices[key] === undefined) throw new PriceDataError(`${file}: prices.${key} is missing`);
  }
  for (const key of REQUIRED_FREE_TIERS) {
    if (data.freeTiers[key] === undefined) throw new PriceDataError(`${file}: freeTiers.${key} is missing`);
  }
  const instances: Record<string, Price> = {};
  for (const [key, price] of Object.entries(data.prices)) {
    if (key.startsWith('ec2:')) instances[key.slice(4)] = price;
  }
  return {
    region: data.region,
    currency: data.currency,
    prices: data.prices as Record<PriceKey, Price>,
    freeTiers: data.freeTiers as Record<FreeTierKey, Price>,
    instances,
    file,
  };
}
