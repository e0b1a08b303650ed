import { describe, expect, it } from 'vitest';
import { FILTERABLE_STATUSES, INSTANCE_STATUSES, classifyInstanceStatus } from '../../src/starrocks/status';

describe('instance status table (spec §3.2)', () => {
  it('has the 30 documented values, 22 of them filterable, no duplicates', () => {
    expect(INSTANCE_STATUSES).toHaveLength(30);
    expect(new Set(INSTANCE_STATUSES.map((s) => s.value)).size).toBe(30);
    expect(FILTERABLE_STATUSES).toHaveLength(22);
  });

  it.each([
    ['running', 'READY'],
    ['restarting', 'RESTARTING'],
    ['not_init', 'BUSY'],
    ['unpaid', 'UNAVAILABLE'],
    ['paid', 'BUSY'],
    ['creating', 'BUSY'],
    ['created', 'BUSY'],
    ['creating_failed', 'FAILED'],
    ['updating', 'BUSY'],
    ['upgrading', 'BUSY'],
    ['modifying_config', 'BUSY'],
    ['modifying_timezone', 'BUSY'],
    ['scaling_out', 'BUSY'],
    ['scaling_in', 'BUSY'],
    ['scaling_up', 'BUSY'],
    ['scaling_down', 'BUSY'],
    ['enable_public_network', 'BUSY'],
    ['disable_public_network', 'BUSY'],
    ['convert_from_trial_to_official', 'BUSY'],
    ['migration_cluster_to_serverless', 'BUSY'],
    ['switch_az', 'BUSY'],
    ['agent_creating', 'BUSY'],
    ['agent_scaling_up', 'BUSY'],
    ['enabling', 'BUSY'],
    ['disable', 'UNAVAILABLE'],
    ['actively_disabled', 'UNAVAILABLE'],
    ['deleting', 'GONE'],
    ['deleting_failed', 'FAILED'],
    ['deleted_with_error', 'GONE'],
    ['deleted', 'GONE'],
  ])('%s → %s', (value, cls) => {
    expect(classifyInstanceStatus(value)).toBe(cls);
  });

  it('only lowercase running is READY; unknown values are BUSY', () => {
    for (const v of ['Running', 'RUNNING', ' running', 'running ', '', 'hibernating']) {
      expect(classifyInstanceStatus(v)).toBe('BUSY');
    }
    expect(INSTANCE_STATUSES.filter((s) => s.class === 'READY').map((s) => s.value)).toEqual(['running']);
  });

  it('filterable flags match the spec', () => {
    const notFilterable = INSTANCE_STATUSES.filter((s) => !s.filterable).map((s) => s.value).sort();
    expect(notFilterable).toEqual(
      ['created', 'creating_failed', 'deleted', 'deleted_with_error', 'deleting_failed', 'modifying_timezone', 'not_init', 'switch_az'].sort(),
    );
  });
});
