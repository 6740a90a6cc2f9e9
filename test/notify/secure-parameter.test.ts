import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyConfigFromEnv } from '../../functions/notify-failure/config.ts';
import { resolveDatabaseConfig } from '../../lib/db/resolve-config.ts';
import { secureParameterReader } from '../../lib/secure-parameter.ts';
import { startTestSsm, type TestSsm } from '../support/ssm.ts';

// Powertools Parameters over the real SDK client, against a stand-in for the SSM API
// (AWS JSON 1.1 on 127.0.0.1): no network, no credentials beyond dummies.
describe('secrets from SSM through Powertools Parameters', () => {
  const values: Record<string, string> = {
    '/sfn-batch/prod/slack-webhook-url': 'https://hooks.slack.com/services/T0/B0/secret',
    '/sfn-batch/prod/database-url': 'postgres://batch:secret@db.internal:5432/records',
  };
  let ssm: TestSsm;

  beforeAll(async () => {
    ssm = await startTestSsm(values);
  });
  afterAll(async () => {
    await ssm.close();
  });

  const client = () =>
    new SSMClient({
      endpoint: ssm.environment.AWS_ENDPOINT_URL_SSM,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });

  it('reads the webhook URL decrypted once, then serves it from the cache', async () => {
    // Prepare
    ssm.calls.length = 0;
    const config = notifyConfigFromEnv(
      { AWS_REGION: 'ap-northeast-1', SLACK_WEBHOOK_PARAMETER: '/sfn-batch/prod/slack-webhook-url' },
      secureParameterReader({ client: client() }),
    );

    // Act
    const first = await config.webhookUrl();
    const second = await config.webhookUrl();

    // Assess
    expect(first).toBe('https://hooks.slack.com/services/T0/B0/secret');
    expect(second).toBe(first);
    expect(ssm.calls).toEqual([
      {
        target: 'AmazonSSM.GetParameter',
        body: { Name: '/sfn-batch/prod/slack-webhook-url', WithDecryption: true },
      },
    ]);
  });

  it('fails the invocation with SlackWebhookUnavailable when the parameter is missing, and tries again next time', async () => {
    // Prepare
    ssm.calls.length = 0;
    const config = notifyConfigFromEnv(
      { AWS_REGION: 'ap-northeast-1', SLACK_WEBHOOK_PARAMETER: '/sfn-batch/prod/missing' },
      secureParameterReader({ client: client() }),
    );

    // Act
    const attempt = config.webhookUrl();

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'SlackWebhookUnavailable',
      message: expect.stringContaining('SSM parameter /sfn-batch/prod/missing'),
    });
    await expect(config.webhookUrl()).rejects.toThrow();
    expect(ssm.calls).toHaveLength(2);
  });

  it('gives the enqueue Lambda its database URL the same way', async () => {
    const config = await resolveDatabaseConfig(
      { DATABASE_URL_PARAMETER: '/sfn-batch/prod/database-url' },
      secureParameterReader({ client: client() }),
    );

    expect(config).toEqual({ url: 'postgres://batch:secret@db.internal:5432/records' });
  });
});
