/**
 * Reading secrets (SSM Parameter Store SecureStrings) in the Lambdas, through Powertools
 * Parameters: decrypted, cached per container for `maxAgeSeconds`, and never cached when
 * the read fails (the next invocation tries again).
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';

/** Reads one SSM SecureString, decrypted; undefined when it is empty. */
export type ParameterReader = (name: string) => Promise<string | undefined>;

export interface SecureParameterOptions {
  region?: string | undefined;
  /** An SDK client to use (tests point one at a local endpoint); by default one for `region`. */
  client?: SSMClient;
  /** How long a value is reused before it is read again (default 300 s: a rotated secret reaches every container within 5 minutes). */
  maxAgeSeconds?: number;
}

/** A reader backed by Powertools' SSM provider. Creating it makes no request. */
export function secureParameterReader(options: SecureParameterOptions = {}): ParameterReader {
  const provider = new SSMProvider({
    awsSdkV3Client: options.client ?? new SSMClient(options.region ? { region: options.region } : {}),
  });
  const maxAge = options.maxAgeSeconds ?? 300;
  return async (name) => {
    const value = await provider.get(name, { decrypt: true, maxAge });
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}
