/**
 * The field types a checklist template may use: the values the records schema allows in
 * `template_fields.type` (the CHECK in migrations/0001_records.sql). The seed writes them
 * and the xlsx converter formats a column by them.
 */
export const FIELD_TYPES = [
  'text',
  'number',
  'datetime',
  'date',
  'yes_no',
  'single_choice',
  'multi_choice',
  'temperature',
  'photo',
  'signature',
] as const;

export type FieldType = (typeof FIELD_TYPES)[number];
