import { describe, expect, it } from 'vitest';
import { resolveDatabaseConfig } from '../../lib/db/resolve-config.ts';

describe('resolveDatabaseConfig', () => {
  it('reads the URL from the SSM parameter named by DATABASE_URL_PARAMETER', async () => {
    // Prepare
    const asked: string[] = [];
    const reader = async (name: string) => {
      asked.push(name);
      return 'postgres://app@db.internal:5432/records';
    };

    // Act
    const config = await resolveDatabaseConfig(
      { DATABASE_URL_PARAMETER: '/sfn-batch/prod/database-url' },
      reader,
    );

    // Assess
    expect(asked).toEqual(['/sfn-batch/prod/database-url']);
    expect(config).toEqual({ url: 'postgres://app@db.internal:5432/records' });
  });

  it('prefers DATABASE_URL and does not call SSM', async () => {
    const reader = async (): Promise<string> => {
      throw new Error('SSM must not be called');
    };

    const config = await resolveDatabaseConfig(
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', DATABASE_URL_PARAMETER: '/x' },
      reader,
    );

    expect(config).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/test' });
  });

  it('falls back to the embedded database when neither is set', async () => {
    const config = await resolveDatabaseConfig(
      { SFN_BATCH_DATA_DIR: '/tmp/sfn-data' },
      async () => undefined,
    );

    expect(config).toEqual({ dataDir: '/tmp/sfn-data/pglite' });
  });

  it('names the parameter and the fix when SSM refuses the read', async () => {
    const denied = Object.assign(new Error('not authorized to perform ssm:GetParameter'), {
      name: 'AccessDeniedException',
    });

    await expect(
      resolveDatabaseConfig({ DATABASE_URL_PARAMETER: '/sfn-batch/prod/database-url' }, async () => {
        throw denied;
      }),
    ).rejects.toThrow(/\/sfn-batch\/prod\/database-url \(AccessDeniedException: .*ssm:GetParameter/);
  });

  it('refuses an empty parameter with the command that fills it', async () => {
    await expect(resolveDatabaseConfig({ DATABASE_URL_PARAMETER: '/p' }, async () => '')).rejects.toThrow(
      /SSM parameter \/p is empty: .*put-parameter/,
    );
  });
});
