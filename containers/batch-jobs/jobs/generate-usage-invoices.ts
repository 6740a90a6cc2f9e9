import { z } from 'zod';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { meterWorkspace, previousPeriods } from './meter-usage.ts';

export const generateUsageInvoicesParams = z.object({});
type Params = z.output<typeof generateUsageInvoicesParams>;

const GIB = 1024 ** 3;

// Line items from the plan price list: base fee, records over the included amount, storage
// over the included amount (per started GiB) and active users.
const INVOICE_SQL = `
  WITH usage AS (
    SELECT m.*, w.plan, p.base_fee, p.included_records, p.per_extra_record, p.included_storage_bytes,
           p.per_extra_gib, p.per_active_user,
           greatest(m.records_submitted - p.included_records, 0) AS extra_records,
           ceil(greatest(m.storage_bytes - p.included_storage_bytes, 0)::numeric / ${GIB})::integer AS extra_gib
    FROM usage_meter m
    JOIN workspaces w ON w.id = m.workspace_id
    JOIN plan_prices p ON p.plan = w.plan
    WHERE m.granularity = 'monthly' AND m.period_start = $2::date AND m.workspace_id = $1
  ), items AS (
    SELECT u.*, jsonb_build_array(
      jsonb_build_object('item', 'base', 'quantity', 1, 'unitPrice', u.base_fee, 'amount', u.base_fee),
      jsonb_build_object('item', 'extra-records', 'quantity', u.extra_records, 'unitPrice', u.per_extra_record,
                         'amount', u.extra_records * u.per_extra_record),
      jsonb_build_object('item', 'extra-storage-gib', 'quantity', u.extra_gib, 'unitPrice', u.per_extra_gib,
                         'amount', u.extra_gib * u.per_extra_gib),
      jsonb_build_object('item', 'active-users', 'quantity', u.active_users, 'unitPrice', u.per_active_user,
                         'amount', u.active_users * u.per_active_user)
    ) AS line_items,
    u.base_fee + u.extra_records * u.per_extra_record + u.extra_gib * u.per_extra_gib
      + u.active_users * u.per_active_user AS total_amount
    FROM usage u
  )
  INSERT INTO invoices (workspace_id, period_start, plan, line_items, total_amount, issued_at)
  SELECT workspace_id, period_start, plan, line_items, total_amount, $3 FROM items
  ON CONFLICT (workspace_id, period_start) DO NOTHING`;

/**
 * Issues one invoice per workspace for the previous local month, from the monthly usage
 * meter (metered here first if the meter job has not run for that month). An invoice is
 * issued once: a rerun leaves existing invoices untouched.
 */
export async function generateUsageInvoices(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, signal } = ctx;
  const periods = await previousPeriods(db, scheduledTime, 'monthly');
  let issued = 0;
  let metered = 0;
  for (const period of periods) {
    throwIfStopped(signal);
    await db.transaction(async (tx) => {
      metered += await meterWorkspace(tx, 'monthly', period, { overwrite: false });
      const result = await tx.query(INVOICE_SQL, [period.id, period.period_start, scheduledTime]);
      throwIfStopped(signal);
      issued += result.rowCount;
    });
  }
  return { workspaces: periods.length, metered, issued };
}

export const generateUsageInvoicesJob = defineJob({
  command: 'generate-usage-invoices',
  description:
    'Issue invoices for the previous month from the monthly usage meter (once per workspace and month)',
  params: generateUsageInvoicesParams,
  example: 'generate-usage-invoices',
  run: generateUsageInvoices,
});
