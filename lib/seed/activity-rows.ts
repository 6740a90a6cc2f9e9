/**
 * Pure row generators for what happens in the demo organisations: checklist records with
 * their photos, corrective actions and audit entries, logins and other audit activity,
 * and share links. Same random sequence in, same rows out; nothing here touches a database.
 */
import { createHash } from 'node:crypto';
import type { SeededRandom } from '../random.ts';
import type { FieldDefinition, Shift } from './content.ts';
import { AUDIT_ACTIONS } from './content.ts';
import { DAY, HOUR, type IdCounters, type SeededWorkspace, type SeedPeriod } from './organisation-rows.ts';
import type { Row } from './tables.ts';

const SHIFT_HOURS: Record<Shift | 'any', [number, number]> = {
  morning: [6, 10],
  day: [10, 17],
  evening: [20, 23],
  night: [0, 5],
  any: [6, 22],
};

function isoDate(ms: number, offsetHours: number): string {
  return new Date(ms + offsetHours * HOUR).toISOString().slice(0, 10);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A value of one field, or undefined to leave it out (optional field not answered). */
function fieldValue(
  field: FieldDefinition,
  random: SeededRandom,
  at: number,
  offsetHours: number,
  objectKey: (kind: 'photo' | 'signature') => string,
): { value: unknown; outOfRange: boolean } | undefined {
  const answered = field.required === true || random.chance(0.6);
  switch (field.type) {
    case 'datetime':
      return { value: new Date(at - random.int(0, 10) * 60_000).toISOString(), outOfRange: false };
    case 'date':
      return {
        value: isoDate(at + (field.key.includes('best') ? random.int(1, 7) * DAY : 0), offsetHours),
        outOfRange: false,
      };
    case 'yes_no':
      return answered ? { value: random.chance(0.93), outOfRange: false } : undefined;
    case 'single_choice': {
      const choices = field.choices ?? [];
      return answered
        ? { value: random.chance(0.7) ? choices[0] : random.pick(choices), outOfRange: false }
        : undefined;
    }
    case 'multi_choice': {
      const rare = field.key === 'issues' || field.key === 'findings';
      const value = random.subset(field.choices ?? [], rare ? 0.06 : 0.45, rare ? 0 : 1);
      return { value, outOfRange: false };
    }
    case 'temperature': {
      const min = field.min ?? 0;
      const max = field.max ?? 10;
      if (random.chance(0.04)) {
        const above = random.chance(0.7);
        const value = round1(above ? max + 0.3 + random.next() * 5 : min - 0.3 - random.next() * 4);
        return { value, outOfRange: true };
      }
      const value = round1(Math.min(max, Math.max(min, random.normal((min + max) / 2, (max - min) / 6))));
      return { value, outOfRange: false };
    }
    case 'number': {
      if (!answered) return undefined;
      const min = field.min ?? 0;
      const max = field.max ?? 100;
      const value =
        field.key === 'score' ? random.int(60, 100) : round1(min + (max - min) * random.next() ** 2);
      return { value, outOfRange: false };
    }
    case 'text':
      return answered && field.samples ? { value: random.pick(field.samples), outOfRange: false } : undefined;
    case 'photo':
      return random.chance(0.35) ? { value: objectKey('photo'), outOfRange: false } : undefined;
    case 'signature':
      return { value: objectKey('signature'), outOfRange: false };
  }
}

/** One audit_logs row; `actionIndex` picks from AUDIT_ACTIONS. */
function auditRow(
  ids: IdCounters,
  workspaceId: number,
  actorId: number | null,
  actionIndex: number,
  entityId: string,
  at: number,
  detail: object,
): Row {
  const [action, entityType] = AUDIT_ACTIONS[actionIndex] ?? AUDIT_ACTIONS[0];
  ids.audit += 1;
  return {
    id: ids.audit,
    workspace_id: workspaceId,
    actor_id: actorId,
    action,
    entity_type: entityType,
    entity_id: entityId,
    at: new Date(at).toISOString(),
    detail,
  };
}

export interface RecordBatch {
  records: Row[];
  record_photos: Row[];
  corrective_actions: Row[];
  audit_logs: Row[];
  drafts: number;
  deletedRecords: number;
}

/**
 * Draws records over the seeding period: each record picks a (workspace, template) pair
 * weighted by template weight and workspace size, a time within the template's shift,
 * answers for its fields, and sometimes a deletion, a corrective action and audit entries.
 */
export class RecordGenerator {
  private readonly targets: Array<{
    workspace: SeededWorkspace;
    template: SeededWorkspace['templates'][number];
  }>;
  private readonly cumulative: number[] = [];
  private readonly weightSum: number;
  private readonly period: SeedPeriod;
  private readonly random: SeededRandom;
  private readonly ids: IdCounters;

  constructor(workspaces: SeededWorkspace[], period: SeedPeriod, random: SeededRandom, ids: IdCounters) {
    // One flat, weighted list of (workspace, template) so each record is one draw.
    this.targets = workspaces.flatMap((workspace) =>
      workspace.templates.map((template) => ({ workspace, template })),
    );
    let weightSum = 0;
    for (const { workspace, template } of this.targets) {
      weightSum += template.definition.weight * workspace.sizeFactor;
      this.cumulative.push(weightSum);
    }
    this.weightSum = weightSum;
    this.period = period;
    this.random = random;
    this.ids = ids;
  }

  private drawTarget() {
    const value = this.random.next() * this.weightSum;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.cumulative[middle] ?? 0) <= value) low = middle + 1;
      else high = middle;
    }
    const target = this.targets[low];
    if (!target) throw new Error('no template to seed records for');
    return target;
  }

  /** The next `count` records and what belongs to them. */
  next(count: number): RecordBatch {
    const random = this.random;
    const ids = this.ids;
    const { startMs, nowMs, days } = this.period;
    const batch: RecordBatch = {
      records: [],
      record_photos: [],
      corrective_actions: [],
      audit_logs: [],
      drafts: 0,
      deletedRecords: 0,
    };
    for (let index = 0; index < count; index += 1) {
      const { workspace, template } = this.drawTarget();
      ids.record += 1;
      const recordId = ids.record;
      const [fromHour, toHour] = SHIFT_HOURS[template.definition.shift ?? 'any'];
      let at = nowMs;
      while (at >= nowMs) {
        const day = random.int(0, days - 1);
        at =
          startMs +
          day * DAY +
          (random.int(fromHour, toHour) - workspace.offsetHours) * HOUR +
          random.int(0, 3599) * 1000;
      }
      const actorId = workspace.userIds.length > 0 ? random.pick(workspace.userIds) : null;
      const isDraft = random.chance(0.03);
      const values: Record<string, unknown> = {};
      let outOfRange: FieldDefinition | undefined;
      for (const field of template.definition.fields) {
        if (isDraft && random.chance(0.5)) continue;
        const answer = fieldValue(field, random, at, workspace.offsetHours, (kind) =>
          kind === 'photo'
            ? `photos/${workspace.id}/${recordId}/${field.key}.jpg`
            : `signatures/${workspace.id}/${recordId}.png`,
        );
        if (!answer) continue;
        values[field.key] = answer.value;
        if (answer.outOfRange) outOfRange ??= field;
        if (field.type === 'photo' && typeof answer.value === 'string') {
          ids.photo += 1;
          batch.record_photos.push({
            id: ids.photo,
            record_id: recordId,
            workspace_id: workspace.id,
            field_key: field.key,
            object_key: answer.value,
            content_type: 'image/jpeg',
            bytes: random.int(80_000, 2_400_000),
            created_at: new Date(at).toISOString(),
            deleted_at: null,
          });
        }
      }
      const createdMs = at - random.int(1, 15) * 60_000;
      let deletedMs: number | null = null;
      if (random.chance(0.02)) {
        deletedMs = Math.min(nowMs - 60_000, at + random.int(0, 20) * DAY + random.int(0, 23) * HOUR);
        batch.deletedRecords += 1;
      }
      if (isDraft) batch.drafts += 1;
      batch.records.push({
        id: recordId,
        workspace_id: workspace.id,
        template_id: template.id,
        site_id: random.pick(workspace.siteIds),
        submitted_by: actorId,
        status: isDraft ? 'draft' : 'submitted',
        values,
        submitted_at: isDraft ? null : new Date(at).toISOString(),
        created_at: new Date(createdMs).toISOString(),
        updated_at: new Date(isDraft ? at : at + random.int(0, 5) * 60_000).toISOString(),
        deleted_at: deletedMs === null ? null : new Date(deletedMs).toISOString(),
      });
      if (!isDraft && random.chance(0.3)) {
        batch.audit_logs.push(
          auditRow(ids, workspace.id, actorId, 1, String(recordId), at, {
            template: template.definition.name,
          }),
        );
      }
      if (deletedMs !== null) {
        batch.audit_logs.push(
          auditRow(ids, workspace.id, actorId, 3, String(recordId), deletedMs, { reason: 'duplicate' }),
        );
      }
      if (!isDraft && outOfRange && random.chance(0.6)) {
        const ja = workspace.definition.locale === 'ja';
        const dueMs = at + random.int(1, 3) * DAY;
        const resolved = dueMs < nowMs ? random.chance(0.7) : random.chance(0.2);
        const resolvedMs = resolved ? Math.min(nowMs - 60_000, at + random.int(1, 60) * HOUR) : null;
        ids.action += 1;
        batch.corrective_actions.push({
          id: ids.action,
          record_id: recordId,
          workspace_id: workspace.id,
          description: ja
            ? `${outOfRange.label}が許容範囲外。再測定し、必要に応じて食材を廃棄すること`
            : `${outOfRange.label} out of range: re-check and discard affected food if needed`,
          assignee_id: actorId,
          created_at: new Date(at).toISOString(),
          due_at: new Date(dueMs).toISOString(),
          resolved_at: resolvedMs === null ? null : new Date(resolvedMs).toISOString(),
          escalated_at:
            resolvedMs === null && dueMs < nowMs && random.chance(0.3)
              ? new Date(dueMs + DAY).toISOString()
              : null,
        });
      }
    }
    return batch;
  }
}

/** A generator of rows for each workspace, drawn in workspace order. */
type PerWorkspaceRows = (
  workspaces: SeededWorkspace[],
  period: SeedPeriod,
  random: SeededRandom,
  ids: IdCounters,
) => Row[];

/** Logins, template edits and exports spread over the period, so audit archiving has months of work. */
export const activityAuditRows: PerWorkspaceRows = (workspaces, period, random, ids) =>
  workspaces.flatMap((workspace) => {
    const rows: Row[] = [];
    const logins = Math.ceil((workspace.userIds.length * period.days) / 3);
    for (let index = 0; index < logins; index += 1) {
      const actorId = random.pick(workspace.userIds);
      const at = period.startMs + random.int(0, period.days * 24 * 60 - 1) * 60_000;
      if (at >= period.nowMs) continue;
      const action = random.chance(0.85) ? 0 : random.pick([4, 5, 6, 7]);
      rows.push(
        auditRow(ids, workspace.id, actorId, action, String(action === 0 ? actorId : workspace.id), at, {
          ip: `203.0.113.${random.int(1, 254)}`,
        }),
      );
    }
    return rows;
  });

/** Share links per workspace: expired, live and revoked ones. */
export const shareLinkRows: PerWorkspaceRows = (workspaces, period, random, ids) =>
  workspaces.flatMap((workspace) =>
    Array.from({ length: random.int(4, 12) }, (): Row => {
      ids.link += 1;
      const createdMs = period.startMs + random.int(0, period.days - 1) * DAY;
      const state = random.pick(['expired', 'expired', 'live', 'live', 'revoked']);
      const template = random.pick(workspace.templates);
      return {
        id: ids.link,
        workspace_id: workspace.id,
        record_id: null,
        template_id: template.id,
        token_hash: createHash('sha256').update(random.hex(40)).digest('hex'),
        created_by: workspace.userIds[0] ?? null,
        created_at: new Date(createdMs).toISOString(),
        expires_at: new Date(
          state === 'expired'
            ? period.nowMs - random.int(1, 40) * DAY
            : period.nowMs + random.int(1, 30) * DAY,
        ).toISOString(),
        revoked_at: state === 'revoked' ? new Date(createdMs + DAY).toISOString() : null,
      };
    }),
  );
