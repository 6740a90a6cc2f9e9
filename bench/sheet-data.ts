import type { RawRow, SheetColumn } from '../containers/xlsx-converter/xlsx-writer.ts';
import { seededRandom } from '../lib/random.ts';

/**
 * 30 mixed columns with the same cell types as a real inspection export: the
 * fixed record columns, then template fields of every kind, Japanese and
 * English text, numbers with units, temperatures (some out of range), photo
 * links and signatures.
 */
export const benchColumns: SheetColumn[] = [
  { header: 'Record ID', kind: 'text' },
  { header: 'Submitted at', kind: 'datetime' },
  { header: 'Submitted by', kind: 'text' },
  { header: '店舗', kind: 'single_choice' },
  { header: '点検日', kind: 'date' },
  { header: '担当者', kind: 'text' },
  { header: '冷蔵庫温度', kind: 'temperature', unit: '°C', min: 0, max: 10 },
  { header: '冷凍庫温度', kind: 'temperature', unit: '°C', min: -25, max: -15 },
  { header: '中心温度', kind: 'temperature', unit: '°C', min: 75, max: 100 },
  { header: '手洗い確認', kind: 'yes_no' },
  { header: '清掃完了', kind: 'yes_no' },
  { header: 'Pest check passed', kind: 'yes_no' },
  { header: '仕入れ数量', kind: 'number', unit: 'kg' },
  { header: '廃棄数量', kind: 'number', unit: 'kg' },
  { header: 'pH', kind: 'number' },
  { header: '区分', kind: 'single_choice' },
  { header: 'アレルゲン', kind: 'multi_choice' },
  { header: 'Corrective actions', kind: 'multi_choice' },
  { header: '備考', kind: 'text' },
  { header: 'Notes', kind: 'text' },
  { header: '写真', kind: 'photo' },
  { header: 'Receipt photo', kind: 'photo' },
  { header: '確認者署名', kind: 'signature' },
  { header: '開始時刻', kind: 'datetime' },
  { header: '終了時刻', kind: 'datetime' },
  { header: 'Lot number', kind: 'text' },
  { header: '賞味期限', kind: 'date' },
  { header: '気温', kind: 'number', unit: '°C' },
  { header: '湿度', kind: 'number', unit: '%' },
  { header: 'Shift', kind: 'single_choice' },
];

const stores = ['渋谷店', '新宿南口店', '梅田店', 'Sapporo Station', '博多駅前店', 'Yokohama Bay'];
const staff = ['佐藤 花子', '鈴木 一郎', '高橋 美咲', 'John Smith', '田中 翔', 'Maria García'];
const categories = ['朝', '昼', '夜', 'Delivery'];
const allergens = ['卵', '乳', '小麦', 'えび', 'かに', 'そば', '落花生'];
const actions = ['Re-cooked', 'Discarded', 'Reported to manager', '再清掃'];
const remarks = [
  '異常なし',
  '冷蔵庫の扉が少し開いていたため閉めました。',
  'Delivery arrived 15 minutes late; checked temperatures on arrival.',
  '',
  '床の清掃を再実施。排水口に詰まりあり、業者に連絡済み。',
];
const shifts = ['early', 'day', 'late'];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** One raw row per index, in `benchColumns` order, as the converter gets them from the database. */
export function* benchRows(count: number, chunkSize = 1000, seed = 42): Generator<RawRow[]> {
  const next = seededRandom(seed);
  const start = Date.UTC(2026, 9, 1) - 9 * 3_600_000;
  let chunk: RawRow[] = [];
  for (let index = 0; index < count; index++) {
    const submitted = start + Math.floor((index / count) * 31 * 86_400_000);
    const day = new Date(submitted + 9 * 3_600_000).toISOString().slice(0, 10);
    chunk.push([
      `rec_${(1_000_000 + index).toString(36)}`,
      new Date(submitted),
      pick(staff, next),
      pick(stores, next),
      day,
      pick(staff, next),
      Math.round((next() * 14 - 1) * 10) / 10,
      Math.round((-27 + next() * 14) * 10) / 10,
      Math.round((70 + next() * 25) * 10) / 10,
      next() > 0.05,
      next() > 0.1,
      next() > 0.02,
      Math.round(next() * 5000) / 100,
      Math.round(next() * 300) / 100,
      Math.round((5 + next() * 3) * 100) / 100,
      pick(categories, next),
      next() > 0.5 ? [pick(allergens, next), pick(allergens, next)] : [],
      next() > 0.9 ? [pick(actions, next)] : [],
      pick(remarks, next),
      next() > 0.7 ? pick(remarks, next) : null,
      { url: `https://files.example.com/photos/${index}/fridge.jpg`, name: 'fridge.jpg' },
      next() > 0.5 ? `https://files.example.com/receipts/${index}.png` : null,
      { signedBy: pick(staff, next), signedAt: new Date(submitted + 600_000).toISOString() },
      new Date(submitted - 1_800_000),
      new Date(submitted),
      `LOT-${Math.floor(next() * 1e6)}`,
      day,
      Math.round((10 + next() * 20) * 10) / 10,
      Math.round(next() * 100),
      pick(shifts, next),
    ]);
    if (chunk.length === chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
