export { SeededRandom } from '../random.ts';
export type { SeedOptions, SeedProgress, SeedSummary } from './seed-demo-data.ts';
export { isDatabaseEmpty, MAX_SEED_TEMPLATES, resetDemoData, seedDemoData } from './seed-demo-data.ts';
