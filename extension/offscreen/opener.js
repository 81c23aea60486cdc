// @ts-check
// Fetches a download again with the user's cookies, opens it, and keeps a
// Blob URL of the result for the background to save. Runs where Blob URLs
// can be made: Chromium's offscreen document (a service worker cannot make
// them), Firefox's background page. Nothing is saved unless the last chunk
// verified: on any error the Blob is dropped and only the error returns.
// Whether an unsealed response is saved is the background's decision.
import { openStream } from './open.js';
import { removeSpool, sweepStale } from '../bulk/spool.js';

const urls = new Map(); // blob URL → its spool file (or undefined)
const running = new Map(); // download URL → the AbortController of its fetch
// Spool files hold opened plaintext: any left by a crash go before the first open.
let swept = null;

/**
 * @param {string} url
 * @param {{ beginOpen: (prefix: string) => Promise<any>, progress: (done: number, total: number) => void }} how
 */
export async function openUrl(url, { beginOpen, progress }) {
  await sweep();
  const stop = new AbortController();
  running.set(url, stop);
  try {
    return await fetchAndOpen(url, stop.signal, { beginOpen, progress });
  } catch (e) {
    if (stop.signal.aborted) throw Object.assign(new Error('cancelled: nothing was saved'), { code: 'cancelled' });
    throw e;
  } finally {
    if (running.get(url) === stop) running.delete(url);
  }
}

/** Stops opening `url` (the person's Cancel): its fetch fails, nothing is kept. @param {string} url */
export function cancel(url) {
  running.get(url)?.abort();
}

/**
 * @param {string} url
 * @param {AbortSignal} signal
 * @param {{ beginOpen: (prefix: string) => Promise<any>, progress: (done: number, total: number) => void }} how
 */
async function fetchAndOpen(url, signal, { beginOpen, progress }) {
  const response = await fetch(url, { credentials: 'include', signal });
  if (!response.ok) throw new Error(`the site answered ${response.status} ${response.statusText}`);
  const started = performance.now();
  // How far, for the toolbar badge of the tab the download came from (at
  // most four times a second).
  const total = Number(response.headers.get('content-length')) || 0;
  let told = 0;
  const tell = (done) => {
    if (!total || performance.now() - told < 250) return;
    told = performance.now();
    progress(done, total);
  };
  const opened = await openStream(response.body, { beginOpen, progress: tell, length: total });
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
    contentDisposition: response.headers.get('content-disposition') ?? '',
    finalUrl: response.url,
  };
}

/** Removes opened plaintext left by a crash (once per page). */
export function sweep() {
  swept ??= sweepStale('open', 0).catch(() => {});
  return swept;
}

/** Drops an opened file (saved, or refused by the browser) and its spool file. @param {string} blobUrl */
export async function revoke(blobUrl) {
  if (!urls.has(blobUrl)) return;
  URL.revokeObjectURL(blobUrl);
  const spool = urls.get(blobUrl);
  urls.delete(blobUrl);
  if (spool) await removeSpool(spool);
}
