import type { Database } from '#lib/db/index.ts';
import { COLUMN_KINDS, type ColumnKind, type RawRow, type SheetColumn } from './xlsx-writer.ts';

/** One export's sheet layout: fixed record columns, then the template's fields in order. */
export interface TemplateSheet {
  templateName: string;
  timeZone: string;
  locale: 'ja' | 'en';
  columns: SheetColumn[];
  fieldKeys: string[];
}

export class TemplateNotFoundError extends Error {
  override name = 'TemplateNotFoundError';
}

interface TemplateRow extends Record<string, unknown> {
  name: string;
  time_zone: string;
  locale: string;
}

interface FieldRow extends Record<string, unknown> {
  key: string;
  label: string;
  type: string;
  unit: string | null;
  min_value: number | string | null;
  max_value: number | string | null;
}

const FIXED_HEADERS = {
  ja: ['記録ID', '提出日時', '提出者', '店舗・拠点'],
  en: ['Record ID', 'Submitted at', 'Submitted by', 'Site'],
};

const numberOrUndefined = (value: number | string | null) => (value === null ? undefined : Number(value));

/** Reads the template's fields (ordered by position) and its workspace's zone and locale. */
export async function loadTemplateSheet(db: Database, templateId: string): Promise<TemplateSheet> {
  const template = await db.query<TemplateRow>(
    `SELECT t.name, w.time_zone, w.locale
     FROM form_templates t JOIN workspaces w ON w.id = t.workspace_id
     WHERE t.id = $1`,
    [templateId],
  );
  const row = template.rows[0];
  if (!row) throw new TemplateNotFoundError(`form template ${templateId} does not exist`);
  const fields = await db.query<FieldRow>(
    `SELECT key, label, type, unit, min_value, max_value
     FROM template_fields WHERE template_id = $1 ORDER BY position`,
    [templateId],
  );
  const locale = row.locale === 'en' ? 'en' : 'ja';
  const [id, submittedAt, submittedBy, site] = FIXED_HEADERS[locale];
  const columns: SheetColumn[] = [
    { header: id ?? 'Record ID', kind: 'number' },
    { header: submittedAt ?? 'Submitted at', kind: 'datetime' },
    { header: submittedBy ?? 'Submitted by', kind: 'text' },
    { header: site ?? 'Site', kind: 'text' },
  ];
  for (const field of fields.rows) {
    // The schema's CHECK keeps types to the known kinds; an unknown one still exports, as text.
    const kind: ColumnKind = (COLUMN_KINDS as readonly string[]).includes(field.type)
      ? (field.type as ColumnKind)
      : 'text';
    columns.push({
      header: field.label,
      kind,
      ...(field.unit ? { unit: field.unit } : {}),
      ...(field.min_value !== null ? { min: numberOrUndefined(field.min_value) } : {}),
      ...(field.max_value !== null ? { max: numberOrUndefined(field.max_value) } : {}),
    });
  }
  // Excel date cells carry no zone: the header says which zone the datetimes are shown in.
  for (const column of columns) {
    if (column.kind === 'datetime') column.header = `${column.header} (${row.time_zone})`;
  }
  return {
    templateName: row.name,
    timeZone: row.time_zone,
    locale,
    columns,
    fieldKeys: fields.rows.map((field) => field.key),
  };
}

export interface RecordRow extends Record<string, unknown> {
  id: number | string;
  submitted_at: Date | string;
  submitted_by: string | null;
  site: string | null;
  values: Record<string, unknown> | null;
}

/** Records of one template and period, in submission order, as the converter streams them. */
export const RECORDS_SQL = `
  SELECT r.id, r.submitted_at, u.name AS submitted_by, s.name AS site, r."values"
  FROM records r
  LEFT JOIN users u ON u.id = r.submitted_by
  LEFT JOIN sites s ON s.id = r.site_id
  WHERE r.template_id = $1 AND r.status = 'submitted' AND r.deleted_at IS NULL
    AND r.submitted_at >= $2 AND r.submitted_at < $3
  ORDER BY r.submitted_at, r.id`;

/** Maps database rows to the writer's raw rows, in the sheet's column order. */
export function toRawRows(sheet: TemplateSheet, records: readonly RecordRow[]): RawRow[] {
  const { fieldKeys } = sheet;
  return records.map((record) => {
    const values = record.values ?? {};
    const row: unknown[] = [Number(record.id), record.submitted_at, record.submitted_by, record.site];
    for (const key of fieldKeys) row.push(values[key]);
    return row;
  });
}
