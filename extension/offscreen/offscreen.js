// @ts-check
// Chrome's offscreen document: fetches a download again with the user's
// cookies, opens it, and hands the background a Blob URL to save.
// (A service worker cannot make Blob URLs.) Nothing is saved unless the last
// chunk verified: on any error the Blob is dropped and only the error returns.
import { openStream } from '../lib/open.js';

const api = globalThis.browser ?? globalThis.chrome;
const urls = new Set();

async function beginOpen(prefix) {
  const res = await api.runtime.sendMessage({ type: 'open-begin', prefix });
  if (!res?.ok) {
    const e = /** @type {Error & { code?: string }} */ (new Error(res?.error?.message ?? 'the background did not answer'));
    e.code = res?.error?.code;
    throw e;
  }
  return res.value;
}

async function openUrl(url, fallbackName) {
  const response = await fetch(url, { credentials: 'include' });
  if (!response.ok) throw new Error(`the site answered ${response.status} ${response.statusText}`);
  const started = performance.now();
  const opened = await openStream(response.body, { beginOpen, fallbackName });
  // Not sealed files pass through (stored before the rollout), but a web page
  // in place of the file (a login form after the session expired, an error
  // page) is never saved under the file's name.
  const type = response.headers.get('content-type') ?? '';
  if (!opened.sealed && /^\s*(text\/html|application\/xhtml\+xml)/i.test(type)) {
    const e = /** @type {Error & { code?: string }} */ (
      new Error(`the site answered with a web page (${response.url}), not the file: sign in again and retry; nothing was saved`)
    );
    e.code = 'not-a-file';
    throw e;
  }
  const ms = Math.round(performance.now() - started);
  const blobUrl = URL.createObjectURL(opened.blob);
  urls.add(blobUrl);
  return { blobUrl, name: opened.name, sealed: opened.sealed, size: opened.blob.size, ms };
}

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  // Only the background (no tab, the extension's own service worker) may ask.
  if (msg?.target !== 'offscreen' || sender.id !== api.runtime.id || sender.tab) return false;
  if (msg.type === 'open-url' && typeof msg.url === 'string') {
    openUrl(msg.url, String(msg.fallbackName ?? 'download')).then(
      (value) => sendResponse({ ok: true, value }),
      (e) => sendResponse({ ok: false, error: { code: e?.code ?? 'error', message: String(e?.message ?? e) } }),
    );
    return true;
  }
  if (msg.type === 'revoke' && urls.has(msg.url)) {
    URL.revokeObjectURL(msg.url);
    urls.delete(msg.url);
  }
  return false;
});
