// @ts-check
// OrgSeal background: a download taken over is fetched again, opened (in
// Chromium's offscreen document, or in Firefox's background page), and saved
// under its own name only once every chunk verified.
import { safeFileName } from '../lib/wasm.js';
import { toBase64, fromBase64 } from '../lib/bytes.js';
import { MSG, CodedError, ask } from '../lib/messages.js';
import { api, FIREFOX, OFFSCREEN_PATH, policy, status, ready } from './state.js';
import { badge, badgeModes } from './badge.js';
import { report, refuseDownload } from './events.js';

const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;

// Blob URL → the file name it is saved under: in memory, and in session
// storage, so that a service worker stopped between download() and its end
// still names and then revokes it (opened plaintext must not outlive its
// download).
const OWN_KEY = (url) => `own:${url}`;
export const ownDownloads = {
  map: new Map(),
  get: (url) => ownDownloads.map.get(url),
  async find(url) {
    return ownDownloads.map.get(url) ?? (await api.storage.session.get(OWN_KEY(url)))[OWN_KEY(url)];
  },
  set(url, name) {
    ownDownloads.map.set(url, name);
    return api.storage.session.set({ [OWN_KEY(url)]: name });
  },
  delete(url) {
    ownDownloads.map.delete(url);
    api.storage.session.remove(OWN_KEY(url)).catch(() => {});
  },
};
/** Whether `url` is a Blob URL this extension made (an opened download). */
export const isOwnBlob = (url) => url.startsWith(`blob:${new URL(api.runtime.getURL('')).origin}/`);
// How far a download has opened: a percentage on the badge of the tab it
// came from, and the overlay there (name, percent, Cancel), which OrgSeal's
// own frame draws where the page cannot change it (content/sealer.js).
export function showOpenProgress(url, done, total) {
  const o = opening.get(url);
  if (!o || o.tabId === undefined || !(total > 0)) return;
  const pct = Math.min(99, Math.floor((100 * done) / total));
  o.pct = pct;
  if (api.action) {
    api.action.setBadgeText({ tabId: o.tabId, text: `${pct}%` }).catch(() => {});
    api.action.setTitle({ tabId: o.tabId, title: W.badge.opening(pct) }).catch(() => {});
  }
  tellTab(o, url, { pct });
}
function tellTab(o, url, fields) {
  api.tabs?.sendMessage(o.tabId, { type: MSG.opening, url, name: o.name, ...fields }, { frameId: 0 }).catch(() => {});
}

/** The downloads being opened in a tab, for the popup. */
export const openingIn = (tabId) => [...opening].filter(([, o]) => o.tabId === tabId).map(([url, o]) => ({ url, name: o.name, pct: o.pct }));

/** Stops opening `url`; nothing of it is saved. */
export function cancelOpen(url) {
  const o = opening.get(url);
  // Once the browser has been handed the opened file, it is saving it.
  if (!o || o.saving) return false;
  o.cancelled = true;
  if (!api.offscreen) import('../offscreen/opener.js').then((opener) => opener.cancel(url)).catch(() => {});
  else api.runtime.sendMessage({ target: 'offscreen', type: MSG.openCancel, url }).catch(() => {});
  return true;
}
/** The tab a download being opened shows its progress in. */
export const openingTab = (url) => opening.get(url)?.tabId;

// Checks a sealed file's prefix (base64) and returns this one file's chunk key.
export async function beginOpen(prefix) {
  await ready;
  if (!policy || status.state !== 'valid') {
    throw new CodedError('invalid-policy', 'no valid OrgSeal policy is installed, so sealed files cannot be opened');
  }
  const o = policy.beginOpen(fromBase64(prefix));
  return { ...o, chunkKey: toBase64(o.chunkKey) };
}

// page itself, which can.
async function openInOpener(url) {
  if (!api.offscreen) {
    const opener = await import('../offscreen/opener.js');
    return opener.openUrl(url, { beginOpen, progress: (done, total) => showOpenProgress(url, done, total) });
  }
  await ensureOffscreen();
  return ask({ target: 'offscreen', type: MSG.openUrl, url });
}

// One offscreen document, made once even when two downloads start together.
let offscreenReady = null;
function ensureOffscreen() {
  offscreenReady ??= (async () => {
    const contexts = await api.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
    if (contexts.length) return;
    try {
      await api.offscreen.createDocument({
        url: OFFSCREEN_PATH,
        reasons: ['BLOBS'],
        justification: 'Opens sealed downloads into Blob URLs (a service worker has no URL.createObjectURL).',
      });
    } catch (e) {
      if (!String(e?.message).includes('single offscreen')) throw e;
    }
  })();
  offscreenReady.catch(() => {}).finally(() => (offscreenReady = null));
  return offscreenReady;
}

export function revokeOpened(blobUrl) {
  if (!api.offscreen) {
    import('../offscreen/opener.js').then((opener) => opener.revoke(blobUrl)).catch(() => {});
    return;
  }
  api.runtime.sendMessage({ target: 'offscreen', type: MSG.revoke, url: blobUrl }).catch(() => {});
}

// The unsealed-download rule (docs/POLICY.md §7.4). A response from a
// configured download endpoint that is not an OrgSeal file (the core says
// `not-orgseal`) was stored before the rollout, or by someone without OrgSeal:
// it is saved exactly as the site sent it and listed as *passed*. A web page in
// its place (a login form after the session expired, an error page) is never
// saved under the file's name.
const WEB_PAGE = /^\s*(text\/html|application\/xhtml\+xml)/i;
function unsealedDownloadRefusal(contentType, url) {
  if (!WEB_PAGE.test(contentType)) return null;
  return new CodedError('not-a-file', `the site answered with a web page (${url}), not the file: sign in again and retry; nothing was saved`);
}

/** @type {Map<string, { tabId?: number, name: string, pct: number, cancelled: boolean, saving?: boolean }>} download URL → what is shown of it */
const opening = new Map();

// `tabId`: the tab that started it, when the browser says (Firefox); else the
// active tab, if it shows the download's site (never over another site's
// protection sign).
export async function openDownload(url, browserName, tabId) {
  const origin = (u) => {
    try {
      return new URL(u).origin;
    } catch {
      return null;
    }
  };
  if (!(Number.isSafeInteger(tabId) && tabId >= 0)) {
    const [active] = (await api.tabs?.query({ active: true, lastFocusedWindow: true }).catch(() => [])) ?? [];
    tabId = active?.url && origin(active.url) === origin(url) ? active.id : undefined;
  }
  const o = { tabId, name: (browserName || '').split(/[\\/]/).pop() || 'download', pct: 0, cancelled: false };
  opening.set(url, o);
  if (tabId !== undefined) tellTab(o, url, { pct: 0 });
  try {
    await openAndSave(url, o);
  } finally {
    opening.delete(url);
    if (tabId !== undefined) tellTab(o, url, { end: true });
    if (tabId !== undefined && badgeModes.has(tabId)) badge(tabId, badgeModes.get(tabId));
  }
}

async function openAndSave(url, o) {
  const fallback = o.name;
  const tabId = o.tabId;
  let opened;
  try {
    opened = await openInOpener(url);
  } catch (e) {
    if (o.cancelled) {
      await report({ kind: 'cancelled', what: fallback, why: 'the person cancelled it; nothing was saved', tabId }).catch(() => {});
      return;
    }
    refuseDownload(fallback, e?.code, e?.message ?? String(e), tabId);
    return;
  }
  if (o.cancelled) {
    revokeOpened(opened.blobUrl);
    await report({ kind: 'cancelled', what: fallback, why: 'the person cancelled it; nothing was saved', tabId }).catch(() => {});
    return;
  }
  const refusal = opened.sealed ? null : unsealedDownloadRefusal(opened.contentType, opened.finalUrl);
  if (refusal) {
    revokeOpened(opened.blobUrl);
    refuseDownload(fallback, refusal.code, refusal.message, tabId);
    return;
  }
  // One rule, the core's, for every name saved: the sealed name, or the
  // browser's name for an unsealed file.
  const name = safeFileName(opened.sealed ? opened.name : fallback);
  const how = opened.sealed ? 'fetched and opened' : 'fetched (not sealed, saved as is)';
  console.info(`OrgSeal ${how} ${name} (${opened.size} bytes) in ${opened.ms} ms`);
  o.saving = true;
  try {
    await ownDownloads.set(opened.blobUrl, name);
    // Chromium names it in onDeterminingFilename (a name given here would
    // pass through there too); Firefox takes the name here.
    await api.downloads.download({ url: opened.blobUrl, conflictAction: 'uniquify', ...(FIREFOX ? { filename: name, saveAs: false } : {}) });
  } catch (e) {
    // Not saved: the opened file (and its spool) must not linger.
    ownDownloads.delete(opened.blobUrl);
    revokeOpened(opened.blobUrl);
    refuseDownload(name, 'failed', `the browser did not save it (${e?.message ?? e})`, tabId);
    return;
  }
  await report({
    kind: opened.sealed ? 'opened' : 'passed',
    what: name,
    why: opened.sealed ? `opened in ${opened.ms} ms` : 'not sealed: saved as the site sent it',
    size: opened.size,
    ms: opened.ms,
    tabId,
  }).catch(() => {});
}
