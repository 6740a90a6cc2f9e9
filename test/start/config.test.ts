import { describe, expect, it } from 'vitest';
import { parseFaults, parseStartConfig, StartConfigError } from '../../local/config.ts';

describe('npm start settings', () => {
  it('reads flags and environment into typed settings', async () => {
    // Act
    const config = await parseStartConfig(
      [
        '--only',
        'a,b',
        '--no-schedule',
        '--at',
        '2026-12-01T00:00:00+09:00',
        '--port',
        '0',
        '--catch-up',
        '1h30m',
      ],
      { SFN_BATCH_DATA_DIR: '/tmp/x', SFN_BATCH_FAULTS: '{"capacityUnavailable":0.2,"seed":3}' },
    );

    // Assess
    expect(config).toMatchObject({
      only: ['a', 'b'],
      schedule: false,
      port: 0,
      catchUpSeconds: 5400,
      dataDir: '/tmp/x',
      faults: { capacityUnavailable: 0.2, seed: 3 },
      faultsSource: 'SFN_BATCH_FAULTS',
    });
    expect(config.at?.toISOString()).toBe('2026-11-30T15:00:00.000Z');
  });

  it('names the key and the rule of invalid fault settings', () => {
    expect(() => parseFaults('{"capacityUnavailable":1.5,"spotInteruption":0.1}', 'faults.json')).toThrow(
      /faults\.json has invalid fault injection settings:\n {2}- capacityUnavailable: .*\n {2}- settings: .*\(spotInteruption\)/,
    );
  });

  it('refuses start failure shares that add up to more than 1, naming the source and the sum', () => {
    expect(() =>
      parseFaults('{"capacityUnavailable":0.7,"cannotPullContainerError":0.5}', 'SFN_BATCH_FAULTS'),
    ).toThrow(
      /SFN_BATCH_FAULTS has invalid fault injection settings:\n {2}- settings: the start failure shares \(capacityUnavailable \+ cannotPullContainerError\) add up to 1\.2; they must add up to at most 1/,
    );
    expect(
      parseFaults(
        '{"capacityUnavailable":0.7,"resourceInitializationError":0.2,"cannotPullContainerError":0.1}',
        'f.json',
      ),
    ).toMatchObject({ capacityUnavailable: 0.7 });
  });

  it('refuses an unknown flag with the usage text', async () => {
    await expect(parseStartConfig(['--sheduler'], {})).rejects.toThrow(StartConfigError);
    await expect(parseStartConfig(['--sheduler'], {})).rejects.toThrow(/Usage: npm start/);
  });

  it('refuses a catch-up window that is not a duration', async () => {
    await expect(parseStartConfig(['--catch-up', '90'], {})).rejects.toThrow(
      '--catch-up must be a duration such as 30m, 2h or 1h30m, got "90"',
    );
  });

  it('reads --speed as a factor and leaves it unset without the flag', async () => {
    expect((await parseStartConfig(['--speed', '1440'], {})).speed).toBe(1440);
    expect((await parseStartConfig(['--speed', '2.5'], {})).speed).toBe(2.5);
    expect((await parseStartConfig([], {})).speed).toBeUndefined();
  });

  it.each([
    ['0', /--speed must be from 1 to 10000, got "0": the scheduler clock cannot run slower than real time/],
    ['0.5', /--speed must be from 1 to 10000, got "0.5"/],
    ['=-3', /--speed must be a plain decimal number such as 60 .*, got "-3"/],
    ['abc', /--speed must be a plain decimal number such as 60 .*, got "abc"/],
    ['1e3', /--speed must be a plain decimal number/],
    ['Infinity', /--speed must be a plain decimal number/],
    [
      '50000',
      /--speed must be from 1 to 10000, got "50000": above 10000x the runtime cannot start executions/,
    ],
  ])('refuses --speed %s with what it accepts', async (value, message) => {
    const argv = value.startsWith('=') ? [`--speed${value}`] : ['--speed', value];
    await expect(parseStartConfig(argv, {})).rejects.toThrow(message);
  });

  it('reads --until and refuses one that is not later than --at', async () => {
    const config = await parseStartConfig(
      ['--at', '2027-02-28T12:00:00Z', '--until', '2027-03-31T12:00:00Z'],
      {},
    );
    expect(config.until?.toISOString()).toBe('2027-03-31T12:00:00.000Z');
    await expect(
      parseStartConfig(['--at', '2027-02-28T12:00:00Z', '--until', '2027-02-01T00:00:00Z'], {}),
    ).rejects.toThrow(
      '--until (2027-02-01T00:00:00.000Z) must be later than --at (2027-02-28T12:00:00.000Z)',
    );
    await expect(parseStartConfig(['--until', 'tomorrow'], {})).rejects.toThrow(
      '--until must be an ISO 8601 instant such as 2026-12-01T00:00:00+09:00, got "tomorrow"',
    );
  });
});
