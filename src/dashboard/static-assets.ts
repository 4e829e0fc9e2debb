import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSS } from './assets/dashboard-css.js';
import { DASHBOARD_SCRIPT } from './assets/dashboard-script.js';

/** Where the dashboard's static files are served, each under a name that carries its content hash. */
export const ASSETS_PREFIX = '/assets';

/** One static file, compressed once at start. */
interface Asset {
  url: string;
  type: string;
  etag: string;
  plain: Buffer;
  gzip: Buffer;
  brotli: Buffer;
}

/** The URLs of the dashboard's assets, for the pages to link. */
export interface AssetUrls {
  uplotScript: string;
  uplotStyle: string;
  script: string;
  style: string;
}

/** The assets and the routes that serve them. */
export interface StaticAssets {
  urls: AssetUrls;
  routes(app: FastifyInstance): void;
}

const require = createRequire(import.meta.url);

function asset(name: string, ext: 'js' | 'css', content: Buffer): Asset {
  const hash = createHash('sha256').update(content).digest('hex');
  return {
    url: `${ASSETS_PREFIX}/${name}.${hash.slice(0, 12)}.${ext}`,
    type: ext === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
    etag: `"${hash.slice(0, 32)}"`,
    plain: content,
    gzip: gzipSync(content, { level: 9 }),
    brotli: brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

/**
 * The chart library (uPlot, from node_modules as published) and the dashboard's own script and
 * style. Each URL holds a hash of the content, so a response may be cached for a year as
 * immutable: a new build is a new URL. Brotli and gzip are made once at start, not per request.
 */
export function loadStaticAssets(): StaticAssets {
  const uplotScript = asset('uplot', 'js', readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')));
  const uplotStyle = asset('uplot', 'css', readFileSync(require.resolve('uplot/dist/uPlot.min.css')));
  const script = asset('dashboard', 'js', Buffer.from(DASHBOARD_SCRIPT, 'utf8'));
  const style = asset('dashboard', 'css', Buffer.from(DASHBOARD_CSS, 'utf8'));
  const all = [uplotScript, uplotStyle, script, style];
  return {
    urls: { uplotScript: uplotScript.url, uplotStyle: uplotStyle.url, script: script.url, style: style.url },
    routes(app) {
      for (const item of all) {
        app.get(item.url, async (request, reply) => {
          void reply
            .header('cache-control', 'public, max-age=31536000, immutable')
            .header('etag', item.etag)
            .header('vary', 'accept-encoding')
            .header('x-content-type-options', 'nosniff')
            .type(item.type);
          if (request.headers['if-none-match'] === item.etag) return reply.code(304).send();
          const accepted = String(request.headers['accept-encoding'] ?? '');
          if (/\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(item.brotli);
          if (/\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(item.gzip);
          return reply.send(item.plain);
        });
      }
    },
  };
}
