/** Seeded random cron() expressions covering every construct AWS allows. */

export { seededRandom } from '#lib/random.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function randomCronExpression(random: () => number): string {
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const distinctSorted = (n: number, min: number, max: number): number[] => {
    const values = new Set<number>();
    while (values.size < n) values.add(int(min, max));
    return [...values].sort((a, b) => a - b);
  };
  const range = (min: number, max: number, maxWidth: number): string => {
    const a = int(min, max - 1);
    return `${a}-${int(a + 1, Math.min(max, a + maxWidth))}`;
  };
  const name = (names: string[], value: number, first: number): string =>
    random() < 0.5 ? (names[value - first] ?? String(value)) : String(value);
  const lower = (text: string): string => (random() < 0.2 ? text.toLowerCase() : text);

  let minutes = pick([
    () => String(int(0, 59)),
    () => distinctSorted(int(2, 3), 0, 59).join(','),
    () => range(0, 59, 5),
    () => `${int(0, 14)}/${pick([10, 15, 20, 30])}`,
    () => `*/${pick([15, 20, 30])}`,
    () => `${range(0, 59, 40)}/${int(7, 20)}`,
    () => `${int(0, 30)},${int(31, 45)}-${int(46, 59)}`,
  ])();
  // Hours near midnight and 1-3 a.m. are where DST transitions happen: weight them.
  const dstHour = (): number => (random() < 0.5 ? pick([0, 1, 2, 3, 23]) : int(0, 23));
  let hours = pick([
    () => String(dstHour()),
    () => [...new Set([dstHour(), dstHour(), dstHour()])].sort((a, b) => a - b).join(','),
    () => range(0, 23, 4),
    () => `${int(0, 3)}/${int(2, 8)}`,
    () => `*/${int(3, 8)}`,
    () => `${range(0, 23, 12)}/${int(2, 5)}`,
    () => '*',
  ])();
  if (random() < 0.03) {
    minutes = '*';
    hours = String(dstHour());
  }
  const month = pick([
    () => '*',
    () => '*',
    () => name(MONTHS, int(1, 12), 1),
    () => distinctSorted(int(2, 4), 1, 12).join(','),
    () => {
      const a = int(1, 11);
      const b = int(a + 1, 12);
      return `${name(MONTHS, a, 1)}-${name(MONTHS, b, 1)}`;
    },
    () => `${int(1, 3)}/${int(2, 4)}`,
    () => `${name(MONTHS, int(1, 3), 1)}/${int(2, 6)}`,
    () => `${pick([3, 4, 9, 10, 11])},${pick([2, 12])}`,
  ])();
  const year = pick([
    () => '*',
    () => '*',
    () => '*',
    () => String(pick([2027, 2028])),
    () => '2027-2028',
    () => '2028,2031',
    () => `${pick([2025, 2026, 2027])}/${int(2, 3)}`,
    () => '2030-2040',
  ])();
  const dayOfMonth = (): string =>
    pick([
      () => '*',
      () => String(pick([1, 15, 29, 30, 31, int(1, 31)])),
      () => distinctSorted(int(2, 4), 1, 31).join(','),
      () => range(1, 31, 10),
      () => `${int(1, 7)}/${int(2, 10)}`,
      () => `*/${int(5, 12)}`,
      () => 'L',
      () => 'LW',
      () => `${pick([1, 2, 14, 15, 16, 28, 29, 30, 31, int(1, 31)])}W`,
    ])();
  const dayOfWeek = (): string =>
    pick([
      () => '*',
      () => name(DAYS, int(1, 7), 1),
      () => distinctSorted(int(2, 3), 1, 7).join(','),
      () => {
        const a = int(1, 6);
        const b = int(a + 1, 7);
        return `${name(DAYS, a, 1)}-${name(DAYS, b, 1)}`;
      },
      () => 'L',
      () => `${name(DAYS, int(1, 7), 1)}L`,
      () => `${name(DAYS, int(1, 7), 1)}#${int(1, 5)}`,
    ])();
  const [dom, dow] = random() < 0.5 ? [dayOfMonth(), '?'] : ['?', dayOfWeek()];
  return `cron(${minutes} ${hours} ${dom} ${lower(month)} ${lower(dow)} ${year})`;
}
