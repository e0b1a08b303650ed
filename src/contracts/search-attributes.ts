/**
 * Typed search attributes of a rollout, so Temporal's visibility (the Web UI's workflow list,
 * `temporal workflow list --query`, `starwave list`) can find rollouts by name, phase/outcome,
 * region and trigger. They must be registered on the server: the dev server does it at start
 * (`--search-attribute`), `npm run cluster` after creating the namespace, and for other clusters
 * the README gives the `temporal operator search-attribute create` commands.
 *
 * Plain data (type-only imports): the dev-server launcher reads it without loading the SDK.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

export const SEARCH_ATTRIBUTES = {
  name: { name: 'StarwaveName', type: 'KEYWORD' } as SearchAttributeKey<'KEYWORD'>,
  /** The rollout's phase: running, paused, awaiting_approval, … then its outcome (completed, stopped_budget, …). */
  phase: { name: 'StarwavePhase', type: 'KEYWORD' } as SearchAttributeKey<'KEYWORD'>,
  regions: { name: 'StarwaveRegions', type: 'KEYWORD_LIST' } as SearchAttributeKey<'KEYWORD_LIST'>,
  trigger: { name: 'StarwaveTrigger', type: 'KEYWORD' } as SearchAttributeKey<'KEYWORD'>,
} as const;

/** `name=Type` pairs for `temporal server start-dev --search-attribute` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: ReadonlyArray<{ name: string; type: 'Keyword' | 'KeywordList' }> = [
  { name: 'StarwaveName', type: 'Keyword' },
  { name: 'StarwavePhase', type: 'Keyword' },
  { name: 'StarwaveRegions', type: 'KeywordList' },
  { name: 'StarwaveTrigger', type: 'Keyword' },
];
