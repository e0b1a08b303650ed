import { describe, expect, it } from 'vitest';
import { clusterTokenFor, dataPlaneAddress, isLoopbackIPv4, normaliseAddress } from '../../src/emulator/dataplane/engines';

describe('data-plane addressing', () => {
  it('derives a distinct 127/8 address from the creation index, skipping 127.0.x.x', () => {
    expect(dataPlaneAddress(0)).toBe('127.1.0.1');
    expect(dataPlaneAddress(254)).toBe('127.1.0.255');
    expect(dataPlaneAddress(255)).toBe('127.1.1.0');
    expect(dataPlaneAddress(65_534)).toBe('127.1.255.255');
    expect(dataPlaneAddress(65_535)).toBe('127.2.0.0');
    const many = new Set(Array.from({ length: 200_000 }, (_, i) => dataPlaneAddress(i)));
    expect(many.size).toBe(200_000);
    expect([...many].every(isLoopbackIPv4)).toBe(true);
    expect(() => dataPlaneAddress(254 * 65_536)).toThrow(/no loopback address/);
  });

  it('recognises loopback local addresses only (also IPv4-mapped), for the connection guard', () => {
    expect(isLoopbackIPv4('127.0.0.1')).toBe(true);
    expect(isLoopbackIPv4('127.1.2.3')).toBe(true);
    expect(isLoopbackIPv4('::ffff:127.1.2.3')).toBe(true);
    expect(isLoopbackIPv4('10.0.0.1')).toBe(false);
    expect(isLoopbackIPv4('::1')).toBe(false);
    expect(isLoopbackIPv4('::ffff:10.0.0.1')).toBe(false);
    expect(isLoopbackIPv4('1127.0.0.1')).toBe(false);
    expect(isLoopbackIPv4(undefined)).toBe(false);
    expect(normaliseAddress('::ffff:127.1.0.1')).toBe('127.1.0.1');
  });

  it('the cluster token is a UUID-shaped function of seed and instance id', () => {
    expect(clusterTokenFor(1, 'c-a')).toBe(clusterTokenFor(1, 'c-a'));
    expect(clusterTokenFor(1, 'c-a')).not.toBe(clusterTokenFor(2, 'c-a'));
    expect(clusterTokenFor(1, 'c-a')).not.toBe(clusterTokenFor(1, 'c-b'));
    expect(clusterTokenFor(1, 'c-a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
