/**
 * Page tokens of `GET /v1/rollouts`: Temporal's own token, signed with a key of this process. A token the
 * server did not give out is refused with 400 before Temporal sees it (the dev server makes a forged one fail
 * as retryable until the deadline). Tokens of an earlier process of the server are refused the same way: a
 * list simply starts again. A token is a position in the newest-first order, so it may be passed with other
 * filters or page sizes: the page then continues from that position.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { StarwaveError } from '../contracts/errors';

const MAC_BYTES = 16;

export interface PageTokens {
  issue(temporalToken: Uint8Array): string;
  /** Temporal's token, or ERR_QUERY_INVALID (path pageToken). */
  open(token: string): Uint8Array;
}

export function createPageTokens(key: Uint8Array = randomBytes(32)): PageTokens {
  const mac = (temporalToken: Uint8Array): Buffer => createHmac('sha256', key).update(temporalToken).digest().subarray(0, MAC_BYTES);
  return {
    issue(temporalToken) {
      return Buffer.concat([mac(temporalToken), temporalToken]).toString('base64url');
    },
    open(token) {
      const bytes = Buffer.from(token, 'base64url');
      const temporalToken = bytes.subarray(MAC_BYTES);
      const given = bytes.subarray(0, MAC_BYTES);
      if (bytes.length <= MAC_BYTES || !timingSafeEqual(given, mac(temporalToken))) {
        throw new StarwaveError('ERR_QUERY_INVALID', 'pageToken is not a nextPageToken this server gave out (or the server restarted since); list again without it.', {
          problems: [{ path: 'pageToken', message: 'not issued by this server' }],
        });
      }
      return temporalToken;
    },
  };
}
