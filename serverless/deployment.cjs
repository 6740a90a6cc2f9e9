// Variable resolver for serverless.yml: `${file(./serverless/deployment.cjs):<key>}`.
// osls loads .js/.cjs files with require() and calls an exported function; the
// deployment itself is TypeScript (run by Node 22's type stripping), so it is
// imported dynamically. The result is computed once per process and stage.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const cache = new Map();

async function build(stage, schedulesEnabled, logRetentionDays) {
  const { loadJobSpecs } = await import(pathToFileURL(path.join(root, 'lib/schedule/load.ts')).href);
  const { buildDeployment } = await import(
    pathToFileURL(path.join(root, 'lib/workflows/deployment.ts')).href
  );
  const jobs = await loadJobSpecs();
  return buildDeployment(jobs, { stage, schedulesEnabled, logRetentionDays });
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const schedulesEnabled = String(await resolveVariable('param:schedulesEnabled')) === 'true';
  const logRetentionDays = Number(await resolveVariable('param:logRetentionDays'));
  const key = `${stage}/${schedulesEnabled}/${logRetentionDays}`;
  if (!cache.has(key)) cache.set(key, build(stage, schedulesEnabled, logRetentionDays));
  return cache.get(key);
};
