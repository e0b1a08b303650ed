/**
 * Page tokens of `GET /v1/rollouts`: Temporal's own token, signed with a key of this process and bound to the
 * filters it was issued for. A token the server did not give out (or one for other filters) is refused with
 * 400 before Temporal sees it. Tokens of an earlier process of the server are refused the same way: a list
 * simply starts again.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { StarwaveError } from '../contracts/errors';

const MAC_BYTES = 16;

export interface PageTokens {
  issue(temporalToken: Uint8Array, filters: unknown): string;
  /** Temporal's token, or ERR_QUERY_INVALID (path pageToken). */
  open(token: string, filters: unknown): Uint8Array;
}

export function createPageTokens(key: Uint8Array = randomBytes(32)): PageTokens {
  const mac = (temporalToken: Uint8Array, filters: unknown): Buffer =>
    createHmac('sha256', key).update(JSON.stringify(filters ?? null)).update('\0').update(temporalToken).digest().subarray(0, MAC_BYTES);
  return {
    issue(temporalToken, filters) {
      return Buffer.concat([mac(temporalToken, filters), temporalToken]).toString('base64url');
    },
    open(token, filters) {
      const bytes = Buffer.from(token, 'base64url');
      const temporalToken = bytes.subarray(MAC_BYTES);
      const given = bytes.subarray(0, MAC_BYTES);
      if (bytes.length <= MAC_BYTES || !timingSafeEqual(given, mac(temporalToken, filters))) {
        throw new StarwaveError('ERR_QUERY_INVALID', 'pageToken is not a nextPageToken this server gave out for these filters (or the server restarted since); list again without it.', {
          problems: [{ path: 'pageToken', message: 'not issued by this server for these filters' }],
        });
      }
      return temporalToken;
    },
  };
}
