/**
 * Pure row generators for the demo organisations: workspaces with their sites, users,
 * checklist templates, template fields and export settings. Same random sequence in,
 * same rows out; nothing here touches a database.
 */

import type { SeededRandom } from '../random.ts';
import type { Locale, TemplateDefinition, WorkspaceDefinition } from './content.ts';
import {
  BASE_WORKSPACES,
  ENGLISH_FIRST_NAMES,
  ENGLISH_LAST_NAMES,
  EXTRA_WORKSPACE_STEMS,
  JAPANESE_FAMILY_NAMES,
  JAPANESE_GIVEN_NAMES,
  templatesFor,
} from './content.ts';
import type { Row } from './tables.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The seeding period: records fall in [startMs, nowMs), spread over `days` days. */
export interface SeedPeriod {
  startMs: number;
  nowMs: number;
  days: number;
}

/** The last id handed out per table; the generator assigns every id itself. */
export interface IdCounters {
  site: number;
  user: number;
  template: number;
  field: number;
  record: number;
  photo: number;
  action: number;
  link: number;
  audit: number;
  setting: number;
}

export function newIdCounters(): IdCounters {
  return {
    site: 0,
    user: 0,
    template: 0,
    field: 0,
    record: 0,
    photo: 0,
    action: 0,
    link: 0,
    audit: 0,
    setting: 0,
  };
}

/** A generated workspace, as the record and activity generators need it. */
export interface SeededWorkspace {
  id: number;
  definition: WorkspaceDefinition;
  offsetHours: number;
  siteIds: number[];
  /** Users who are not deactivated (the ones who act). */
  userIds: number[];
  templates: Array<{ id: number; definition: TemplateDefinition }>;
  sizeFactor: number;
}

/** Fixed standard-time offsets (hours) for placing shifts in local time; DST is ignored on purpose. */
const ZONE_OFFSETS: Record<string, number> = {
  'Asia/Tokyo': 9,
  'Europe/London': 0,
  'America/New_York': -5,
  'America/Los_Angeles': -8,
};

const SIZE_FACTORS = { free: 0.5, standard: 1, pro: 2, enterprise: 4 } as const;

/** Checklist templates each workspace starts with (content.ts templatesFor). */
export const TEMPLATES_PER_WORKSPACE = templatesFor('en').length;

/**
 * The workspaces to seed: the base ones, two more per 100,000 records (at most 200 more),
 * and more still when `minTemplates` asks for more checklist templates than that gives.
 */
function workspaceDefinitions(
  records: number,
  random: SeededRandom,
  minTemplates = 0,
): WorkspaceDefinition[] {
  const byRecords = Math.min(200, Math.floor(records / 100_000) * 2);
  const byTemplates = Math.ceil(minTemplates / TEMPLATES_PER_WORKSPACE) - BASE_WORKSPACES.length;
  const extra = Math.max(byRecords, byTemplates);
  const plans = ['free', 'standard', 'pro', 'enterprise'] as const;
  const out = [...BASE_WORKSPACES];
  for (let index = 0; index < extra; index += 1) {
    const stem = EXTRA_WORKSPACE_STEMS[index % EXTRA_WORKSPACE_STEMS.length];
    if (!stem) continue;
    const number = Math.floor(index / EXTRA_WORKSPACE_STEMS.length) + 2;
    out.push({
      ...stem,
      name: stem.locale === 'ja' ? `${stem.name} ${number}号店` : `${stem.name} #${number}`,
      plan: random.pick(plans),
      sites: stem.locale === 'ja' ? ['本店', '駅前店'] : ['Main', 'Downtown'],
    });
  }
  return out;
}

function personName(locale: Locale, random: SeededRandom): { name: string; local: string } {
  if (locale === 'ja') {
    const [family, familyRomaji] = random.pick(JAPANESE_FAMILY_NAMES);
    const [given, givenRomaji] = random.pick(JAPANESE_GIVEN_NAMES);
    return { name: `${family} ${given}`, local: `${givenRomaji}.${familyRomaji}` };
  }
  const first = random.pick(ENGLISH_FIRST_NAMES);
  const last = random.pick(ENGLISH_LAST_NAMES);
  return { name: `${first} ${last}`, local: `${first}.${last}`.toLowerCase() };
}

export interface OrganisationRows {
  workspaces: SeededWorkspace[];
  rows: {
    workspaces: Row[];
    sites: Row[];
    users: Row[];
    form_templates: Row[];
    template_fields: Row[];
    export_settings: Row[];
  };
}

function userRows(
  workspace: SeededWorkspace,
  createdMs: number,
  period: SeedPeriod,
  random: SeededRandom,
  ids: IdCounters,
): Row[] {
  const { id, definition } = workspace;
  const rows: Row[] = [];
  const userCount = Math.round(random.int(6, 14) * Math.sqrt(workspace.sizeFactor));
  const emails = new Set<string>();
  for (let userIndex = 0; userIndex < userCount; userIndex += 1) {
    ids.user += 1;
    const person = personName(definition.locale, random);
    let email = `${person.local}@ws${id}.example.com`;
    for (let suffix = 2; emails.has(email); suffix += 1)
      email = `${person.local}${suffix}@ws${id}.example.com`;
    emails.add(email);
    const role = userIndex === 0 ? 'owner' : userIndex < 3 ? 'admin' : userIndex < 6 ? 'manager' : 'staff';
    const state =
      userIndex < 2
        ? 'active'
        : random.pick(['active', 'active', 'active', 'active', 'dormant', 'never', 'deactivated']);
    const lastLogin =
      state === 'never'
        ? null
        : state === 'dormant'
          ? period.nowMs - random.int(95, 400) * DAY
          : period.nowMs - random.int(0, 20) * DAY - random.int(0, 23) * HOUR;
    rows.push({
      id: ids.user,
      workspace_id: id,
      name: person.name,
      email,
      locale: definition.locale,
      role,
      created_at: new Date(createdMs + random.int(0, 60) * DAY).toISOString(),
      last_login_at: lastLogin === null ? null : new Date(lastLogin).toISOString(),
      deactivated_at:
        state === 'deactivated' ? new Date(period.nowMs - random.int(10, 200) * DAY).toISOString() : null,
    });
    if (state !== 'deactivated') workspace.userIds.push(ids.user);
  }
  return rows;
}

function templateRows(
  workspace: SeededWorkspace,
  createdMs: number,
  period: SeedPeriod,
  random: SeededRandom,
  ids: IdCounters,
  out: OrganisationRows['rows'],
): void {
  for (const template of templatesFor(workspace.definition.locale)) {
    ids.template += 1;
    const templateId = ids.template;
    workspace.templates.push({ id: templateId, definition: template });
    out.form_templates.push({
      id: templateId,
      workspace_id: workspace.id,
      name: template.name,
      category: template.category,
      version: random.int(1, 4),
      shift: template.shift,
      active: true,
      created_at: new Date(createdMs + DAY).toISOString(),
      updated_at: new Date(period.startMs - random.int(1, 50) * DAY).toISOString(),
    });
    for (const [position, field] of template.fields.entries()) {
      ids.field += 1;
      out.template_fields.push({
        id: ids.field,
        template_id: templateId,
        position,
        key: field.key,
        label: field.label,
        type: field.type,
        unit: field.unit ?? null,
        choices: field.choices ?? null,
        min_value: field.min ?? null,
        max_value: field.max ?? null,
        required: field.required === true,
      });
    }
    const frequencies: Array<'daily' | 'weekly' | 'monthly'> = ['monthly'];
    if (template.category === 'temperature' || template.category === 'opening') frequencies.push('weekly');
    if (template.category === 'temperature' && random.chance(0.5)) frequencies.push('daily');
    for (const frequency of frequencies) {
      ids.setting += 1;
      out.export_settings.push({
        id: ids.setting,
        workspace_id: workspace.id,
        template_id: templateId,
        frequency,
        enabled: random.chance(0.9),
        created_at: new Date(period.startMs - random.int(1, 30) * DAY).toISOString(),
        updated_at: new Date(period.startMs).toISOString(),
      });
    }
  }
}

/** Workspaces (more of them for bigger seeds) with their sites, users, templates, fields and export settings. */
export function organisationRows(
  records: number,
  period: SeedPeriod,
  random: SeededRandom,
  ids: IdCounters,
  minTemplates = 0,
): OrganisationRows {
  const out: OrganisationRows = {
    workspaces: [],
    rows: {
      workspaces: [],
      sites: [],
      users: [],
      form_templates: [],
      template_fields: [],
      export_settings: [],
    },
  };
  for (const [index, definition] of workspaceDefinitions(records, random, minTemplates).entries()) {
    const id = index + 1;
    const createdMs = period.startMs - random.int(60, 900) * DAY;
    out.rows.workspaces.push({
      id,
      name: definition.name,
      plan: definition.plan,
      time_zone: definition.timeZone,
      locale: definition.locale,
      created_at: new Date(createdMs).toISOString(),
    });
    const workspace: SeededWorkspace = {
      id,
      definition,
      offsetHours: ZONE_OFFSETS[definition.timeZone] ?? 0,
      siteIds: [],
      userIds: [],
      templates: [],
      sizeFactor: SIZE_FACTORS[definition.plan],
    };
    for (const siteName of definition.sites) {
      ids.site += 1;
      workspace.siteIds.push(ids.site);
      out.rows.sites.push({
        id: ids.site,
        workspace_id: id,
        name: siteName,
        created_at: new Date(createdMs + random.int(0, 30) * DAY).toISOString(),
      });
    }
    out.rows.users.push(...userRows(workspace, createdMs, period, random, ids));
    templateRows(workspace, createdMs, period, random, ids, out.rows);
    out.workspaces.push(workspace);
  }
  return out;
}
