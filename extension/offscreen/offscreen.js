// @ts-check
// Chrome's offscreen document: fetches a download again with the user's
// cookies, opens it, and hands the background a Blob URL to save.
// (A service worker cannot make Blob URLs.) Nothing is saved unless the last
// chunk verified: on any error the Blob is dropped and only the error returns.
// Whether an unsealed response is saved is the background's decision.
import { openStream } from './open.js';
import { MSG, ask, serve, fromBackground } from '../lib/messages.js';
import { removeSpool, sweepStale } from '../bulk/spool.js';

const api = globalThis.browser ?? globalThis.chrome;
const urls = new Map(); // blob URL → its spool file (or undefined)
// Spool files here hold opened plaintext: any left by a crash go at once.
const swept = sweepStale(0).catch(() => {});

const beginOpen = (prefix) => ask({ type: MSG.openBegin, prefix });

async function openUrl(url) {
  await swept;
  const response = await fetch(url, { credentials: 'include' });
  if (!response.ok) throw new Error(`the site answered ${response.status} ${response.statusText}`);
  const started = performance.now();
  // How far, for the toolbar badge of the tab the download came from (at
  // most four times a second).
  const total = Number(response.headers.get('content-length')) || 0;
  let told = 0;
  const progress = (done) => {
    if (!total || performance.now() - told < 250) return;
    told = performance.now();
    ask({ type: MSG.openProgress, url, done, total }).catch(() => {});
  };
  const opened = await openStream(response.body, { beginOpen, progress, length: total });
  const ms = Math.round(performance.now() - started);
  const blobUrl = URL.createObjectURL(opened.blob);
  urls.set(blobUrl, opened.spool);
  return {
    blobUrl,
    name: opened.name,
    sealed: opened.sealed,
    size: opened.blob.size,
    ms,
    contentType: response.headers.get('content-type') ?? '',
    finalUrl: response.url,
  };
}

// Only the background may ask.
api.runtime.onMessage.addListener(
  serve(
    {
      async [MSG.openUrl](msg, sender) {
        if (!fromBackground(sender) || typeof msg.url !== 'string') throw new Error('open-url is for the background');
        return openUrl(msg.url);
      },
      async [MSG.revoke](msg, sender) {
        if (!fromBackground(sender) || !urls.has(msg.url)) return;
        URL.revokeObjectURL(msg.url);
        const spool = urls.get(msg.url);
        urls.delete(msg.url);
        if (spool) await removeSpool(spool);
      },
    },
    { target: 'offscreen' },
  ),
);
