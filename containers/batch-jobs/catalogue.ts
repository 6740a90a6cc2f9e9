import type { JobDefinition } from './job-context.ts';
import { abandonStaleDraftsJob } from './jobs/abandon-stale-drafts.ts';
import { aggregateRecordStatsJob } from './jobs/aggregate-record-stats.ts';
import { analyzeTablesJob } from './jobs/analyze-tables.ts';
import { archiveAuditLogsJob } from './jobs/archive-audit-logs.ts';
import { cleanupExpiredExportsJob } from './jobs/cleanup-expired-exports.ts';
import { computeComplianceScoresJob } from './jobs/compute-compliance-scores.ts';
import { deactivateDormantUsersJob } from './jobs/deactivate-dormant-users.ts';
import { detectTemperatureExcursionsJob } from './jobs/detect-temperature-excursions.ts';
import { escalateCorrectiveActionsJob } from './jobs/escalate-corrective-actions.ts';
import { expireShareLinksJob } from './jobs/expire-share-links.ts';
import { generateUsageInvoicesJob } from './jobs/generate-usage-invoices.ts';
import { meterUsageJob } from './jobs/meter-usage.ts';
import { purgeDeletedRecordsJob } from './jobs/purge-deleted-records.ts';
import { purgeOrphanedPhotosJob } from './jobs/purge-orphaned-photos.ts';
import { refreshSearchIndexJob } from './jobs/refresh-search-index.ts';
import { sendChecklistRemindersJob } from './jobs/send-checklist-reminders.ts';
import { sendWeeklyDigestJob } from './jobs/send-weekly-digest.ts';

/** Every command the batch-jobs container runs, by name (the first argument). */
export const catalogue: ReadonlyMap<string, JobDefinition> = new Map(
  [
    aggregateRecordStatsJob,
    sendChecklistRemindersJob,
    purgeDeletedRecordsJob,
    purgeOrphanedPhotosJob,
    archiveAuditLogsJob,
    cleanupExpiredExportsJob,
    meterUsageJob,
    detectTemperatureExcursionsJob,
    escalateCorrectiveActionsJob,
    expireShareLinksJob,
    deactivateDormantUsersJob,
    abandonStaleDraftsJob,
    computeComplianceScoresJob,
    sendWeeklyDigestJob,
    generateUsageInvoicesJob,
    refreshSearchIndexJob,
    analyzeTablesJob,
  ].map((job) => [job.command, job]),
);
