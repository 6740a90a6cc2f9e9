/** Demo content: businesses, people and checklist templates in Japanese and English. */

import type { FieldType } from '../db/field-types.ts';

export type Locale = 'ja' | 'en';
export type { FieldType };
export type TemplateCategory =
  | 'opening'
  | 'closing'
  | 'hygiene'
  | 'temperature'
  | 'inspection'
  | 'cleaning'
  | 'delivery';
export type Shift = 'morning' | 'day' | 'evening' | 'night';

export interface FieldDefinition {
  key: string;
  label: string;
  type: FieldType;
  unit?: string;
  choices?: string[];
  min?: number;
  max?: number;
  required?: boolean;
  /** For text fields: sample answers. */
  samples?: string[];
}

export interface TemplateDefinition {
  name: string;
  category: TemplateCategory;
  shift: Shift | null;
  /** Relative share of the records. */
  weight: number;
  fields: FieldDefinition[];
}

export interface WorkspaceDefinition {
  name: string;
  kind: 'restaurant' | 'factory' | 'hotel';
  locale: Locale;
  timeZone: string;
  plan: 'free' | 'standard' | 'pro' | 'enterprise';
  sites: string[];
}

export const BASE_WORKSPACES: WorkspaceDefinition[] = [
  {
    name: 'さくら食堂',
    kind: 'restaurant',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    plan: 'standard',
    sites: ['渋谷店', '新宿西口店', '吉祥寺店'],
  },
  {
    name: '東京セントラルキッチン株式会社',
    kind: 'factory',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    plan: 'enterprise',
    sites: ['江東第一工場', '川崎第二工場'],
  },
  {
    name: 'ホテル湾岸 調理部',
    kind: 'hotel',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    plan: 'pro',
    sites: ['メインキッチン', '宴会厨房', 'ベーカリー'],
  },
  {
    name: 'Harbor Bistro Group',
    kind: 'restaurant',
    locale: 'en',
    timeZone: 'America/New_York',
    plan: 'pro',
    sites: ['Brooklyn', 'Hoboken'],
  },
  {
    name: 'Northfield Ready Meals Ltd',
    kind: 'factory',
    locale: 'en',
    timeZone: 'Europe/London',
    plan: 'enterprise',
    sites: ['Leeds plant', 'Bradford plant'],
  },
  {
    name: 'Grand Meridian Hotel Kitchens',
    kind: 'hotel',
    locale: 'en',
    timeZone: 'Europe/London',
    plan: 'standard',
    sites: ['Main kitchen', 'Banqueting', 'Room service'],
  },
];

/** Extra workspaces for big seeds: branch names combined with a number. */
export const EXTRA_WORKSPACE_STEMS: Array<
  Pick<WorkspaceDefinition, 'name' | 'kind' | 'locale' | 'timeZone'>
> = [
  { name: 'まんぷく亭', kind: 'restaurant', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { name: '北海フーズ', kind: 'factory', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { name: '京都旅館 あおい', kind: 'hotel', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { name: 'Blue Fern Cafe', kind: 'restaurant', locale: 'en', timeZone: 'America/Los_Angeles' },
  { name: 'Thames Catering Co', kind: 'factory', locale: 'en', timeZone: 'Europe/London' },
];

export const JAPANESE_FAMILY_NAMES: Array<[string, string]> = [
  ['佐藤', 'sato'],
  ['鈴木', 'suzuki'],
  ['高橋', 'takahashi'],
  ['田中', 'tanaka'],
  ['伊藤', 'ito'],
  ['渡辺', 'watanabe'],
  ['山本', 'yamamoto'],
  ['中村', 'nakamura'],
  ['小林', 'kobayashi'],
  ['加藤', 'kato'],
  ['吉田', 'yoshida'],
  ['山田', 'yamada'],
  ['松本', 'matsumoto'],
  ['井上', 'inoue'],
  ['木村', 'kimura'],
];
export const JAPANESE_GIVEN_NAMES: Array<[string, string]> = [
  ['健太', 'kenta'],
  ['美咲', 'misaki'],
  ['翔', 'sho'],
  ['陽菜', 'hina'],
  ['大輔', 'daisuke'],
  ['由美', 'yumi'],
  ['拓海', 'takumi'],
  ['さくら', 'sakura'],
  ['誠', 'makoto'],
  ['葵', 'aoi'],
  ['直樹', 'naoki'],
  ['愛', 'ai'],
];
export const ENGLISH_FIRST_NAMES = [
  'Oliver',
  'Amelia',
  'James',
  'Sophia',
  'Liam',
  'Emma',
  'Noah',
  'Grace',
  'Ethan',
  'Chloe',
  'Jack',
  'Priya',
];
export const ENGLISH_LAST_NAMES = [
  'Smith',
  'Johnson',
  'Brown',
  'Taylor',
  'Wilson',
  'Davies',
  'Evans',
  'Patel',
  'Clarke',
  'Walker',
  'Garcia',
  'Nguyen',
];

const JA_REMARKS = [
  '特記事項なし',
  '異常なし',
  'シンクの排水が遅い。業者に連絡済み',
  '冷蔵庫Bの扉パッキンに劣化あり',
  '石けんを補充した',
  '床が濡れていたため清掃',
  '新人スタッフに手順を説明',
];
const EN_REMARKS = [
  'Nothing to report',
  'All good',
  'Sink drains slowly, plumber called',
  'Fridge B door seal worn',
  'Refilled soap dispensers',
  'Wet floor cleaned',
  'Walked new starter through the checks',
];

function opening(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  return {
    name: ja ? '開店前チェックリスト' : 'Opening Checklist',
    category: 'opening',
    shift: 'morning',
    weight: 2,
    fields: [
      { key: 'checked_at', label: ja ? '確認日時' : 'Checked at', type: 'datetime', required: true },
      {
        key: 'handwash_ready',
        label: ja ? '手洗い設備（石けん・ペーパー）' : 'Hand-wash station stocked',
        type: 'yes_no',
        required: true,
      },
      {
        key: 'fridge_temp',
        label: ja ? '冷蔵庫温度' : 'Fridge temperature',
        type: 'temperature',
        unit: '°C',
        min: 0,
        max: 10,
        required: true,
      },
      {
        key: 'freezer_temp',
        label: ja ? '冷凍庫温度' : 'Freezer temperature',
        type: 'temperature',
        unit: '°C',
        min: -30,
        max: -15,
        required: true,
      },
      {
        key: 'surfaces_clean',
        label: ja ? '調理台の清掃' : 'Prep surfaces clean',
        type: 'yes_no',
        required: true,
      },
      {
        key: 'staff_health',
        label: ja ? '従業員の健康状態' : 'Staff health',
        type: 'single_choice',
        choices: ja ? ['良好', '要観察', '就業制限'] : ['Fit for work', 'Monitor', 'Excluded'],
        required: true,
      },
      { key: 'remarks', label: ja ? '備考' : 'Remarks', type: 'text', samples: ja ? JA_REMARKS : EN_REMARKS },
      {
        key: 'signature',
        label: ja ? '責任者サイン' : 'Supervisor signature',
        type: 'signature',
        required: true,
      },
    ],
  };
}

function fridgeLog(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  return {
    name: ja ? '冷蔵庫温度記録' : 'Fridge Temperature Log',
    category: 'temperature',
    shift: null,
    weight: 4,
    fields: [
      { key: 'measured_at', label: ja ? '測定日時' : 'Measured at', type: 'datetime', required: true },
      {
        key: 'unit_name',
        label: ja ? '対象機器' : 'Unit',
        type: 'single_choice',
        choices: ja
          ? ['冷蔵庫A', '冷蔵庫B', 'ウォークイン冷蔵庫', 'ショーケース']
          : ['Fridge A', 'Fridge B', 'Walk-in chiller', 'Display chiller'],
        required: true,
      },
      {
        key: 'temperature',
        label: ja ? '庫内温度' : 'Temperature',
        type: 'temperature',
        unit: '°C',
        min: 0,
        max: 5,
        required: true,
      },
      { key: 'door_seal_ok', label: ja ? '扉パッキン良好' : 'Door seal OK', type: 'yes_no' },
      { key: 'photo', label: ja ? '温度計の写真' : 'Thermometer photo', type: 'photo' },
      {
        key: 'action_taken',
        label: ja ? '対応内容' : 'Action taken',
        type: 'text',
        samples: ja
          ? ['温度設定を調整', '食材を別の冷蔵庫へ移動', '扉の閉め忘れ。再測定予定']
          : ['Adjusted thermostat', 'Moved stock to another unit', 'Door left open, re-check planned'],
      },
    ],
  };
}

function closing(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  return {
    name: ja ? '閉店後清掃チェック' : 'Closing Checklist',
    category: 'closing',
    shift: 'evening',
    weight: 2,
    fields: [
      { key: 'closed_at', label: ja ? '確認日時' : 'Checked at', type: 'datetime', required: true },
      {
        key: 'areas_cleaned',
        label: ja ? '清掃した場所' : 'Areas cleaned',
        type: 'multi_choice',
        choices: ja
          ? ['床', 'シンク', 'グリストラップ', 'フライヤー', '換気扇フード', 'ゴミ置き場']
          : ['Floors', 'Sinks', 'Grease trap', 'Fryers', 'Extractor hood', 'Bin store'],
        required: true,
      },
      { key: 'gas_off', label: ja ? 'ガス元栓の閉栓' : 'Gas isolated', type: 'yes_no', required: true },
      { key: 'waste_kg', label: ja ? '廃棄量' : 'Food waste', type: 'number', unit: 'kg', min: 0, max: 200 },
      { key: 'remarks', label: ja ? '備考' : 'Remarks', type: 'text', samples: ja ? JA_REMARKS : EN_REMARKS },
      {
        key: 'signature',
        label: ja ? '最終退出者サイン' : 'Last out signature',
        type: 'signature',
        required: true,
      },
    ],
  };
}

function delivery(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  return {
    name: ja ? '納品時検品記録' : 'Delivery Inspection',
    category: 'delivery',
    shift: 'day',
    weight: 1.5,
    fields: [
      { key: 'received_at', label: ja ? '受入日時' : 'Received at', type: 'datetime', required: true },
      {
        key: 'supplier',
        label: ja ? '納品業者' : 'Supplier',
        type: 'single_choice',
        choices: ja
          ? ['丸和青果', '東海水産', '関東ミート', '日配フーズ']
          : ['Fresh Direct', 'Coastline Fish', 'Prime Meats', 'Dairy Co'],
        required: true,
      },
      {
        key: 'item',
        label: ja ? '品目' : 'Item',
        type: 'text',
        samples: ja
          ? ['鶏もも肉', 'キャベツ', 'サーモン', '牛乳', '豆腐', '卵']
          : ['Chicken thighs', 'Cabbage', 'Salmon', 'Milk', 'Tofu', 'Eggs'],
        required: true,
      },
      { key: 'quantity', label: ja ? '数量' : 'Quantity', type: 'number', unit: 'kg', min: 0, max: 500 },
      {
        key: 'core_temp',
        label: ja ? '品温' : 'Product temperature',
        type: 'temperature',
        unit: '°C',
        min: -2,
        max: 8,
        required: true,
      },
      { key: 'best_before', label: ja ? '消費期限' : 'Use by', type: 'date', required: true },
      {
        key: 'issues',
        label: ja ? '異常' : 'Issues',
        type: 'multi_choice',
        choices: ja ? ['破損', '汚れ', '温度逸脱', '数量不足'] : ['Damaged', 'Dirty', 'Temperature', 'Short'],
      },
      { key: 'photo', label: ja ? '納品書の写真' : 'Delivery note photo', type: 'photo' },
    ],
  };
}

function cooking(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  return {
    name: ja ? '加熱調理 中心温度記録' : 'Cooking Core Temperature',
    category: 'temperature',
    shift: 'day',
    weight: 2,
    fields: [
      { key: 'cooked_at', label: ja ? '測定日時' : 'Measured at', type: 'datetime', required: true },
      {
        key: 'dish',
        label: ja ? '品名' : 'Dish',
        type: 'text',
        samples: ja
          ? ['唐揚げ', 'ハンバーグ', '親子丼', '焼き魚', 'カレー']
          : ['Roast chicken', 'Beef burger', 'Fish pie', 'Lasagne', 'Chili'],
        required: true,
      },
      {
        key: 'core_temp',
        label: ja ? '中心温度' : 'Core temperature',
        type: 'temperature',
        unit: '°C',
        min: 75,
        max: 100,
        required: true,
      },
      {
        key: 'minutes',
        label: ja ? '加熱時間' : 'Cooking time',
        type: 'number',
        unit: ja ? '分' : 'min',
        min: 1,
        max: 240,
      },
      {
        key: 'probe_cleaned',
        label: ja ? '温度計の消毒' : 'Probe sanitised',
        type: 'yes_no',
        required: true,
      },
    ],
  };
}

/** A 30-field audit (the export benchmark's column count). */
function audit(locale: Locale): TemplateDefinition {
  const ja = locale === 'ja';
  const checks = ja
    ? [
        '手洗いの実施',
        '爪・装飾品',
        '作業着の清潔',
        '帽子・ネット',
        '健康チェック記録',
        '原材料の保管',
        '先入れ先出し',
        'アレルゲン表示',
        '交差汚染防止',
        'まな板の色分け',
        '器具の洗浄',
        '消毒液の濃度',
        '害虫の痕跡なし',
        '排水溝の清掃',
        '照明の破損なし',
        '廃棄物の管理',
        '冷凍品の解凍方法',
        '再加熱の温度',
        '保存食の採取',
        '表示ラベル',
      ]
    : [
        'Hand washing',
        'Nails and jewellery',
        'Clean uniforms',
        'Hair covered',
        'Health declarations',
        'Raw material storage',
        'Stock rotation',
        'Allergen labels',
        'Cross-contamination',
        'Colour-coded boards',
        'Utensils washed',
        'Sanitiser strength',
        'No pest activity',
        'Drains clean',
        'Light covers intact',
        'Waste management',
        'Safe defrosting',
        'Reheat temperature',
        'Retained samples',
        'Date labels',
      ];
  return {
    name: ja ? 'HACCP 衛生点検表' : 'Food Safety Audit',
    category: 'inspection',
    shift: 'day',
    weight: 1,
    fields: [
      { key: 'audited_at', label: ja ? '点検日時' : 'Audited at', type: 'datetime', required: true },
      { key: 'audit_date', label: ja ? '点検日' : 'Audit date', type: 'date', required: true },
      {
        key: 'auditor_note',
        label: ja ? '点検者コメント' : 'Auditor note',
        type: 'text',
        samples: ja ? JA_REMARKS : EN_REMARKS,
      },
      ...checks.map(
        (label, index): FieldDefinition => ({
          key: `check_${String(index + 1).padStart(2, '0')}`,
          label,
          type: 'yes_no',
          required: true,
        }),
      ),
      {
        key: 'fridge_temp',
        label: ja ? '冷蔵庫温度' : 'Fridge temperature',
        type: 'temperature',
        unit: '°C',
        min: 0,
        max: 5,
        required: true,
      },
      {
        key: 'hot_hold_temp',
        label: ja ? '温蔵庫温度' : 'Hot-hold temperature',
        type: 'temperature',
        unit: '°C',
        min: 63,
        max: 90,
        required: true,
      },
      {
        key: 'score',
        label: ja ? '評価点' : 'Score',
        type: 'number',
        unit: ja ? '点' : 'pts',
        min: 0,
        max: 100,
      },
      {
        key: 'grade',
        label: ja ? '総合評価' : 'Overall grade',
        type: 'single_choice',
        choices: ['A', 'B', 'C', 'D'],
        required: true,
      },
      {
        key: 'findings',
        label: ja ? '指摘事項' : 'Findings',
        type: 'multi_choice',
        choices: ja
          ? ['清掃不足', '記録漏れ', '温度逸脱', '表示不備', '設備不良']
          : ['Cleaning', 'Missing records', 'Temperature', 'Labelling', 'Equipment'],
      },
      { key: 'photo', label: ja ? '現場写真' : 'Site photo', type: 'photo' },
      {
        key: 'signature',
        label: ja ? '点検者サイン' : 'Auditor signature',
        type: 'signature',
        required: true,
      },
    ],
  };
}

/** The checklist templates every workspace of a locale starts with. */
export function templatesFor(locale: Locale): TemplateDefinition[] {
  return [
    opening(locale),
    fridgeLog(locale),
    closing(locale),
    delivery(locale),
    cooking(locale),
    audit(locale),
  ];
}

export const AUDIT_ACTIONS = [
  ['user.login', 'user'],
  ['record.submit', 'record'],
  ['record.update', 'record'],
  ['record.delete', 'record'],
  ['template.update', 'form_template'],
  ['export.download', 'export'],
  ['share_link.create', 'share_link'],
  ['user.invite', 'user'],
] as const;
