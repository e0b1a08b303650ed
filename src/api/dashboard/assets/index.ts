/** The dashboard's static files, served from the package itself (/dashboard/<name>), with ETags. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { APP_CSS } from './app-css';
import { APP_JS } from './app-js';

export interface Asset {
  contentType: string;
  body: string;
  etag: string;
  /** The body gzip-compressed (the script is about 8 KiB on the wire this way). */
  gzip: Buffer;
}

const asset = (contentType: string, body: string): Asset => ({ contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, gzip: gzipSync(body, { level: 9 }) });

export const ASSETS: Readonly<Record<string, Asset>> = {
  'app.js': asset('text/javascript; charset=utf-8', APP_JS),
  'app.css': asset('text/css; charset=utf-8', APP_CSS),
};

export const ASSET_NAMES = Object.keys(ASSETS);
