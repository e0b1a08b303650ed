import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/env';
import { EmulatorFlagError, parseEmulatorFlags } from '../../src/emulator/cli';

describe('starwave emulator flags', () => {
  it('reads STARWAVE_EMULATOR_KEYS through loadEnv from the given environment map', () => {
    const keys = [{ accessKeyId: 'K1', accessKeySecret: 's1' }];
    expect(parseEmulatorFlags({}, { STARWAVE_EMULATOR_KEYS: JSON.stringify(keys) }).keys).toEqual(keys);
    expect(parseEmulatorFlags({}, {}).keys).toBeUndefined();
    expect(() => parseEmulatorFlags({}, { STARWAVE_EMULATOR_KEYS: '[{"accessKeyId":1}]' })).toThrow(EmulatorFlagError);
    // Another invalid variable in the same environment fails the whole environment, naming it (never the secret).
    expect(() => parseEmulatorFlags({}, { STARWAVE_LOG_LEVEL: 'LOUD', STARWAVE_EMULATOR_KEYS: 'secret-text' })).toThrow(ConfigError);
    expect(() => parseEmulatorFlags({}, { STARWAVE_LOG_LEVEL: 'LOUD', STARWAVE_EMULATOR_KEYS: 'secret-text' })).toThrow(/STARWAVE_LOG_LEVEL/);
  });

  it('parses the data-plane flags and names a bad one', () => {
    expect(parseEmulatorFlags({ fePort: '18030', bePort: '18040', feReadyDelay: '100', backendsOnlineDelay: '300' }, {}).dataPlane).toEqual({
      fePort: 18030,
      bePort: 18040,
      feReadyDelayMs: 100,
      backendsOnlineDelayMs: 300,
    });
    expect(parseEmulatorFlags({}, {}).dataPlane).toEqual({});
    expect(() => parseEmulatorFlags({ fePort: 'x' }, {})).toThrow(/--fe-port/);
    expect(() => parseEmulatorFlags({ fePort: '18030', bePort: '18030' }, {})).toThrow(/must differ/);
  });

  it('seeds a restart history per instance with --history, none by default', () => {
    expect(parseEmulatorFlags({ history: '5' }, {}).fleet).toEqual({ generate: { regions: ['cn-hangzhou'], perRegion: 20 }, restartHistory: { perInstance: 5 } });
    expect(parseEmulatorFlags({}, {}).fleet).toEqual({ generate: { regions: ['cn-hangzhou'], perRegion: 20 } });
    expect(parseEmulatorFlags({ history: '0' }, {}).fleet).not.toHaveProperty('restartHistory');
    expect(() => parseEmulatorFlags({ history: 'many' }, {})).toThrow(/--history/);
    expect(() => parseEmulatorFlags({ history: '5000' }, {})).toThrow(/--history/);
  });
});
