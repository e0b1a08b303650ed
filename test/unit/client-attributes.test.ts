/** What a rollout starts with besides its input: search attributes within Temporal's limits. */
import { describe, expect, it } from 'vitest';
import { isSearchAttributeTooLarge, isUnknownSearchAttribute, searchAttributesOf } from '../../src/client';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { parseSpec } from '../../src/contracts/spec';

const regionsValue = (regions: string[]): string[] => {
  const spec = parseSpec({ name: 'many-regions', targets: { selectors: [{ regions }] } });
  const pair = searchAttributesOf(spec).find((p) => p.key === SEARCH_ATTRIBUTES.regions);
  return pair!.value as string[];
};

describe('search attributes', () => {
  it('lists every region of an ordinary spec, sorted and once', () => {
    expect(regionsValue(['cn-shanghai', 'cn-hangzhou', 'cn-shanghai'])).toEqual(['cn-hangzhou', 'cn-shanghai']);
  });

  it('keeps StarwaveRegions below the frontend limit of 2,048 bytes however many regions a spec names', () => {
    // The API fuzz found this: 2,467 bytes of regions made Temporal refuse the start, a 500 for a valid spec.
    const regions = Array.from({ length: 300 }, (_, i) => `ap-southeast-region-${i}`);
    const value = regionsValue(regions);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(2048);
    expect(value.length).toBeGreaterThan(50);
    expect(value).toEqual([...regions].sort().slice(0, value.length));
  });

  it('recognises the frontend refusals that make a start fall back to no search attributes', () => {
    expect(isSearchAttributeTooLarge(new Error('search attribute StarwaveRegions value size 2467 exceeds size limit 2048'))).toBe(true);
    expect(isUnknownSearchAttribute(new Error('search attribute StarwaveName is not defined'))).toBe(true);
    expect(isSearchAttributeTooLarge(new Error('namespace default not found'))).toBe(false);
    expect(isUnknownSearchAttribute(new Error('search attribute StarwaveRegions value size 2467 exceeds size limit 2048'))).toBe(false);
  });
});
