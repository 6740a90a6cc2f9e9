/**
 * Renderings of a cost estimate: a plain-text report (English or Japanese) for the
 * terminal and the Markdown section of the pull-request diff. Every figure says where it
 * came from, and every unconfirmed price is flagged.
 */
import type { BaselineHost, CatalogueEstimate, Figure, JobEstimate } from './estimate.ts';
import type { Price } from './prices.ts';

export type CostLanguage = 'en' | 'ja';

const TEXT = {
  en: {
    title: (region: string, month: string) =>
      `Estimated AWS cost for ${month} in ${region} (USD, before free tiers)`,
    header: [
      'job',
      'runs',
      'task time (source)',
      'Fargate',
      'Step Functions',
      'Lambda',
      'Scheduler',
      'Logs',
      'total',
    ],
    total: 'catalogue total',
    disabled: 'disabled',
    sources: {
      local: (n: number) => `local×${n}`,
      stage: (n: number) => `stage×${n}`,
      api: (n: number) => `api×${n}`,
      declared: () => 'declared',
      none: () => 'no data',
    },
    sourceLegend:
      'Task time: median of observed runs (local = this machine\'s execution store, stage = the deployed executions, api = the executions of --endpoint-url), "declared" = the job\'s expectedDuration (an assumption), "no data" = billed at the 1-minute minimum. Spot jobs are marked *.',
    freeTiers:
      'Free tiers (not taken off the total; they apply per account and may already be used elsewhere):',
    freeLine: (service: string, used: string, allowance: string, saving: string) =>
      `  ${service}: ${used} used of ${allowance} free; would save ${saving}`,
    baseline: 'Always-on alternatives for the same month:',
    peak: (vcpu: number, memory: number, at: string) =>
      `Peak concurrency: ${vcpu} vCPU, ${memory} GiB at ${at}`,
    tooSmall: ' (smaller than the peak: jobs would queue)',
    ec2: (name: string, host: BaselineHost, month: string) =>
      `EC2 ${name} on-demand (${host.vcpu ?? '?'} vCPU, ${host.memoryGiB ?? '?'} GiB, all ${host.hours ?? 0} h of ${month})`,
    codebuild: (name: string, host: BaselineHost) =>
      `CodeBuild ${name} (${host.minutes ?? 0} build minutes: each task one build, rounded up to the minute)`,
    freeTierNames: {} as Record<string, string>,
    versus: (ratio: string) => `Serverless estimate is ${ratio} of the EC2 host.`,
    unconfirmed: 'unconfirmed price',
    pricesTitle: 'Prices used (source, date checked):',
    assumptions:
      'Assumptions: Lambda run times (guard 1 s, enqueue 10 s, notify 2 s) and, where no run was observed, 20 kB of logs per task. Fargate Spot uses the discount given in the price file.',
  },
  ja: {
    title: (region: string, month: string) =>
      `${region} における ${month} の AWS 費用見積もり (USD、無料枠適用前)`,
    header: [
      'ジョブ',
      '実行回数',
      'タスク時間 (出典)',
      'Fargate',
      'Step Functions',
      'Lambda',
      'Scheduler',
      'Logs',
      '合計',
    ],
    total: 'カタログ合計',
    disabled: '無効',
    sources: {
      local: (n: number) => `ローカル×${n}`,
      stage: (n: number) => `ステージ×${n}`,
      api: (n: number) => `API×${n}`,
      declared: () => '宣言値',
      none: () => 'データなし',
    },
    sourceLegend:
      'タスク時間: 観測した実行の中央値 (ローカル = このマシンの実行ストア、ステージ = デプロイ済みの実行、API = --endpoint-url の実行)。「宣言値」= ジョブの expectedDuration (仮定)。「データなし」= 最低課金の 1 分で計算。Spot のジョブには * を付けています。',
    freeTiers:
      '無料枠 (合計からは差し引いていません。アカウント単位で適用され、他で使い切っている場合があります):',
    freeLine: (service: string, used: string, allowance: string, saving: string) =>
      `  ${service}: 無料枠 ${allowance} のうち ${used} を使用、差し引けば ${saving}`,
    baseline: '同じ月の常時稼働の代替案:',
    peak: (vcpu: number, memory: number, at: string) =>
      `同時実行のピーク: ${vcpu} vCPU、${memory} GiB (${at})`,
    tooSmall: ' (ピークより小さいため、ジョブは待ち行列になります)',
    ec2: (name: string, host: BaselineHost, month: string) =>
      `EC2 ${name} オンデマンド (${host.vcpu ?? '?'} vCPU、${host.memoryGiB ?? '?'} GiB、${month} の全 ${host.hours ?? 0} 時間)`,
    codebuild: (name: string, host: BaselineHost) =>
      `CodeBuild ${name} (ビルド ${host.minutes ?? 0} 分: タスクごとに 1 ビルド、分単位で切り上げ)`,
    freeTierNames: {
      stepFunctionsTransitions: 'Step Functions 状態遷移',
      lambdaRequests: 'Lambda リクエスト',
      lambdaGbSeconds: 'Lambda GB 秒',
      schedulerInvocations: 'EventBridge Scheduler 呼び出し',
      logsIngestionGb: 'CloudWatch Logs 取り込み (GB)',
    } as Record<string, string>,
    versus: (ratio: string) => `サーバーレスの見積もりは EC2 ホストの ${ratio} です。`,
    unconfirmed: '未確認の価格',
    pricesTitle: '使用した価格 (出典、確認日):',
    assumptions:
      '仮定: Lambda の実行時間 (ガード 1 秒、エンキュー 10 秒、通知 2 秒)、実行を観測していないジョブのログはタスクあたり 20 kB。Fargate Spot は価格ファイルの割引率を使用。',
  },
} as const;

/** Dollars: cents for amounts of a dollar or more, four decimals below. */
export function formatUsd(amount: number): string {
  if (amount === 0) return '$0';
  return amount >= 1 ? `$${amount.toFixed(2)}` : `$${amount.toFixed(4)}`;
}

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function sourceText(figure: Figure, lang: CostLanguage): string {
  const sources = TEXT[lang].sources;
  return figure.source === 'local' || figure.source === 'stage' || figure.source === 'api'
    ? sources[figure.source](figure.samples)
    : sources[figure.source]();
}

function taskTime(estimate: JobEstimate, lang: CostLanguage): string {
  const usage = estimate.usage;
  const tasks = usage.tasksPerRun.value > 1 ? `${usage.tasksPerRun.value}× ` : '';
  const time = usage.taskSeconds.source === 'none' ? '-' : formatSeconds(usage.taskSeconds.value);
  return `${tasks}${time} (${sourceText(usage.taskSeconds, lang)})`;
}

function priceMark(price: Price, lang: CostLanguage): string {
  return price.confirmed ? '' : ` [${TEXT[lang].unconfirmed}]`;
}

/** Rows of the per-job table: header first. */
export function jobRows(estimate: CatalogueEstimate, lang: CostLanguage): string[][] {
  const t = TEXT[lang];
  const rows: string[][] = [[...t.header]];
  for (const job of estimate.jobs) {
    rows.push([
      `${job.job}${job.spot ? ' *' : ''}`,
      job.enabled ? String(job.usage.runs) : t.disabled,
      taskTime(job, lang),
      formatUsd(job.costs.fargate),
      formatUsd(job.costs.stepFunctions),
      formatUsd(job.costs.lambda),
      formatUsd(job.costs.scheduler),
      formatUsd(job.costs.logs),
      formatUsd(job.total),
    ]);
  }
  const totals = estimate.totals;
  rows.push([
    t.total,
    String(estimate.jobs.reduce((sum, job) => sum + job.usage.runs, 0)),
    '',
    formatUsd(totals.fargate),
    formatUsd(totals.stepFunctions),
    formatUsd(totals.lambda),
    formatUsd(totals.scheduler),
    formatUsd(totals.logs),
    formatUsd(totals.total),
  ]);
  return rows;
}

function baselineText(host: BaselineHost, month: string, lang: CostLanguage): string {
  const t = TEXT[lang];
  const label = host.kind === 'ec2' ? t.ec2(host.name, host, month) : t.codebuild(host.name, host);
  return `  ${label}: ${formatUsd(host.monthly)}${host.fitsPeak ? '' : t.tooSmall}${priceMark(host.price, lang)}`;
}

/** The text report after the table: free tiers, baselines, assumptions and prices. */
export function reportFooter(estimate: CatalogueEstimate, lang: CostLanguage): string[] {
  const t = TEXT[lang];
  const lines: string[] = ['', t.sourceLegend, '', t.freeTiers];
  for (const free of estimate.freeTiers) {
    lines.push(
      t.freeLine(
        t.freeTierNames[free.key] ?? free.service,
        round(free.used),
        String(free.allowance),
        formatUsd(free.saving),
      ) + priceMark(free.price, lang),
    );
  }
  lines.push(
    '',
    t.baseline,
    `  ${t.peak(round2(estimate.peak.vcpu), round2(estimate.peak.memoryGiB), estimate.peak.at ?? '-')}`,
  );
  for (const host of estimate.baselines) lines.push(baselineText(host, estimate.month, lang));
  const ec2 = estimate.baselines.find((host) => host.kind === 'ec2');
  if (ec2 && ec2.monthly > 0)
    lines.push(`  ${t.versus(`${Math.round((estimate.totals.total / ec2.monthly) * 100)}%`)}`);
  lines.push('', t.assumptions, '', t.pricesTitle);
  for (const price of estimate.prices) {
    lines.push(
      `  ${price.key}: ${price.value} ${price.unit}; ${price.source}, ${price.checked}${priceMark(price, lang)}${price.note ? ` (${price.note})` : ''}`,
    );
  }
  return lines;
}

function round(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(3).replace(/\.?0+$/, '');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export const COST_TITLE = (estimate: CatalogueEstimate, lang: CostLanguage): string =>
  TEXT[lang].title(estimate.region, estimate.month);
