// @ts-check
// OrgSeal background: the only context that holds the org keys.
//
// It reads the policy from managed storage, answers each content script with
// its site's mode, hands one chunk key per file to the extension's own sealer
// frames and offscreen document, and intercepts downloads from configured
// download endpoints. Every message type has one handler, which checks who
// sent it (by the browser-supplied sender, never by what the message claims).
import { loadCore, PolicyState, safeFileName } from '../lib/wasm.js';
import { toBase64, fromBase64 } from '../lib/bytes.js';
import { MSG, CodedError, ask, serve, fromExtensionPage, fromContentScript } from '../lib/messages.js';

const api = globalThis.browser ?? globalThis.chrome;
const SEALER_URL = api.runtime.getURL('extension/sealer/sealer.html');
const OFFSCREEN_PATH = 'extension/offscreen/offscreen.html';
// Firefox (the only browser with runtime.getBrowserInfo): an event page with
// a DOM instead of a service worker, no offscreen documents and no
// onDeterminingFilename, and blocking webRequest for every extension.
const FIREFOX = typeof (/** @type {any} */ (api.runtime).getBrowserInfo) === 'function';

/** @typedef {{ origin: string, upload: string[], download: string[], sealNames: boolean }} Site */
/**
 * `PolicyState.status()`, or what this file says while there is none to ask.
 * @typedef {{ state: string, problems?: string[], keys?: { label: string, id: string, encrypt: boolean }[],
 *   keyLabels?: string[], sites?: Site[], failClosed?: boolean }} PolicyStatus
 */
/** @typedef {{ tabId: number, origin: string, claimed: boolean, issued: number }} SealerToken */
/** @typedef {{ when: number, kind: string, what: string, why: string, size: number | null, ms: number | null }} RecentEntry */

/** @type {PolicyState | null} */
let policy = null; // PolicyState, or null when no policy is installed
/** @type {PolicyStatus} */
let status = { state: 'loading' };
// Sealer tokens live in session storage (memory only, extension contexts only)
// so that they outlive the service worker being stopped while a page is open.
// A token is good for one claim, within TOKEN_TTL_MS of being issued.
const TOKEN_TTL_MS = 60000;
const MAX_TAB_TOKENS = 32;
const claiming = new Set(); // tokens being claimed right now (claims are atomic)
const tokens = {
  /** @returns {Promise<SealerToken | undefined>} */
  async get(token) {
    const key = `sealer:${token}`;
    return /** @type {SealerToken | undefined} */ ((await api.storage.session.get(key))[key]);
  },
  async set(token, value) {
    await api.storage.session.set({ [`sealer:${token}`]: value });
  },
  // A page that reloads itself over and over gets a token per load: a tab
  // keeps its newest MAX_TAB_TOKENS (far more frames than pick files at once).
  async trimTab(tabId) {
    const all = /** @type {Record<string, any>} */ (await api.storage.session.get(null));
    const mine = Object.keys(all)
      .filter((k) => k.startsWith('sealer:') && all[k]?.tabId === tabId)
      .sort((a, b) => all[b].issued - all[a].issued);
    if (mine.length >= MAX_TAB_TOKENS) await api.storage.session.remove(mine.slice(MAX_TAB_TOKENS - 1));
  },
  // A tab's tokens go with the tab, so the store does not grow for the whole session.
  async dropTab(tabId) {
    const all = /** @type {Record<string, any>} */ (await api.storage.session.get(null)); // tokens and more
    const stale = Object.keys(all).filter((k) => k.startsWith('sealer:') && all[k]?.tabId === tabId);
    if (stale.length) await api.storage.session.remove(stale);
  },
};
api.tabs?.onRemoved.addListener((tabId) => tokens.dropTab(tabId).catch(() => {}));
const ownDownloads = new Map(); // blob URL → file name we save it under

// ---- recent operations (for the popup), kept across service worker restarts ----
const RECENT_KEY = 'recent';
async function record(kind, what, why = '', size = null, ms = null) {
  const entry = { when: Date.now(), kind, what, why, size, ms };
  const list = /** @type {RecentEntry[]} */ ((await api.storage.session.get(RECENT_KEY))[RECENT_KEY] ?? []);
  list.unshift(entry);
  await api.storage.session.set({ [RECENT_KEY]: list.slice(0, 30) });
}
const note = (what, why) => record('refused', what, why).catch(() => {});

// ---- the policy ----
// The last site list that loaded, so that a moment without a policy (profile
// start, a failed policy fetch) or a broken core blocks those sites instead
// of leaving them open.
const KNOWN_SITES_KEY = 'knownSites';

async function loadPolicy() {
  let known = /** @type {Site[]} */ ([]);
  try {
    known = /** @type {Site[]} */ ((await api.storage.local.get(KNOWN_SITES_KEY))[KNOWN_SITES_KEY] ?? []);
    await readPolicy(known);
  } catch (e) {
    // Whatever failed (the core did not load, storage, the policy reader),
    // the sites last known stay blocked: never a silent 'off'.
    policy = null;
    status = { state: 'broken', problems: [`OrgSeal could not read its policy (${e?.message ?? e})`], keys: [], keyLabels: [], sites: known, failClosed: true };
  }
}

async function readPolicy(known) {
  let items;
  try {
    items = (await api.storage.managed.get(null)) ?? {};
  } catch {
    items = {}; // Firefox rejects when no policy exists
  }
  await loadCore();
  policy?.free();
  policy = null;
  if (Object.keys(items).length === 0) {
    status = known.length
      ? { state: 'missing', problems: ['the OrgSeal policy that protected these sites is gone; ask IT'], keys: [], keyLabels: [], sites: known, failClosed: true }
      : { state: 'none', problems: [], keys: [], keyLabels: [], sites: [], failClosed: false };
    return;
  }
  policy = PolicyState.fromJson(JSON.stringify(items));
  status = policy.status();
  if (status.state === 'valid') {
    await api.storage.local.set({ [KNOWN_SITES_KEY]: status.sites });
  } else {
    // A broken policy does not shrink the protected set: the sites it still
    // names and the ones the last valid policy named stay blocked.
    const seen = new Set(status.sites.map((x) => x.origin));
    status = { ...status, sites: [...status.sites, ...known.filter((x) => !seen.has(x.origin))] };
  }
}

// Tells every open tab to ask again (a site added to the policy is protected
// at once in tabs already open), and sets each tab's badge.
async function broadcast() {
  for (const tab of (await api.tabs?.query({})) ?? []) {
    api.tabs.sendMessage(tab.id, { type: MSG.policyChanged }).catch(() => {});
  }
}

// Loads run one after another, so a slow early load never lands last.
let ready = loadPolicy();
ready.then(broadcast, () => {});
api.storage.onChanged.addListener((_changes, area) => {
  if (area !== 'managed') return;
  ready = ready.catch(() => {}).then(loadPolicy);
  ready.then(broadcast, () => {});
});

// An update IT pushes is applied at once, not when the browser next finds the
// extension idle: a fix to the sealing must not wait. Open tabs get the new
// content script (below); the old one refuses files and says to reload.
api.runtime.onUpdateAvailable?.addListener(() => api.runtime.reload());

// Tabs open before install or update have no (or an orphaned) content script:
// put the current one in, in every frame. Pages that cannot be reached are
// warned by the orphaned script itself (it refuses files and says to reload).
api.runtime.onInstalled?.addListener(async () => {
  if (!api.scripting) return;
  for (const tab of (await api.tabs.query({ url: ['http://*/*', 'https://*/*'] })) ?? []) {
    const target = { tabId: tab.id, allFrames: true };
    api.scripting
      .executeScript({ target, files: ['extension/content/page-hook.js'], world: 'MAIN', injectImmediately: true })
      .then(() => api.scripting.executeScript({ target, files: ['extension/content/main.js'], injectImmediately: true }))
      .catch(() => {});
  }
});

// ---- which site a frame belongs to ----

// The site entry of a frame. Matched on the document URL, not on a possibly
// opaque origin: a sandboxed document of a configured site is that site. A
// frame without an address of its own (about:blank, srcdoc, data:, or a
// blob: of an opaque origin) belongs to the origin that made it; and any
// frame in a tab whose top document is a protected site is protected too.
function siteOfSender(sender) {
  const candidates = [];
  const add = (u) => {
    try {
      const { protocol, origin } = new URL(u);
      if ((protocol === 'http:' || protocol === 'https:' || protocol === 'blob:') && origin !== 'null') candidates.push(origin);
    } catch {
      // not a URL: no candidate
    }
  };
  add(sender.url);
  if (!candidates.length && sender.origin && sender.origin !== 'null') candidates.push(sender.origin);
  // A frame of any other origin inside a protected tab is treated as the
  // tab's site: a page can dress up a frame of another origin as its own
  // upload widget and have the file handed back to it.
  if (sender.tab?.url) add(sender.tab.url);
  for (const origin of candidates) {
    const site = siteOf(origin);
    if (site) return site;
  }
  return null;
}

function siteOf(origin) {
  return status.sites?.find((s) => s.origin === origin) ?? null;
}

function siteOfUrl(url) {
  try {
    return siteOf(new URL(url).origin);
  } catch {
    return null;
  }
}

// ---- the toolbar badge: a sign the page cannot fake ----
const badgeModes = new Map(); // tabId → the mode its badge shows
function badge(tabId, mode) {
  if (!api.action || tabId === undefined || tabId < 0) return;
  badgeModes.set(tabId, mode);
  const look = {
    seal: ['ON', '#1a7f37', 'OrgSeal protects this page: files you pick, drop or paste are sealed'],
    blocked: ['!', '#b42318', 'OrgSeal blocks files on this page (see the popup)'],
    off: ['', '#777', 'OrgSeal: this page is not a site your organisation protects'],
  }[mode];
  api.action.setBadgeText({ tabId, text: look[0] }).catch(() => {});
  api.action.setBadgeBackgroundColor({ tabId, color: look[1] }).catch(() => {});
  api.action.setTitle({ tabId, title: look[2] }).catch(() => {});
}

function randomToken() {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return toBase64(b).replace(/[+/=]/g, '');
}

function randomSealedName() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('') + '.orgseal';
}

function modeFor(sender) {
  const site = siteOfSender(sender);
  if (!site) return { mode: 'off' };
  if (status.state !== 'valid') {
    return {
      mode: status.failClosed ? 'blocked' : 'off',
      reason: `the OrgSeal policy is not usable (${status.problems?.[0] ?? 'unknown problem'}); ask IT to fix it`,
    };
  }
  return { mode: 'seal', sealerUrl: SEALER_URL, site };
}

// ---- message handlers: one per type ----

const handlers = {
  // Popup: status for display. Never holds secrets.
  async [MSG.status](_msg, sender) {
    if (!fromExtensionPage(sender, 'extension/popup/')) throw new Error('status is for the popup');
    await ready.catch(() => {});
    const recent = (await api.storage.session.get(RECENT_KEY))[RECENT_KEY] ?? [];
    const self = await api.management?.getSelf?.().catch(() => null);
    const installType = self?.installType ?? 'unknown';
    return {
      status,
      recent,
      version: api.runtime.getManifest().version,
      extensionId: api.runtime.id,
      installType,
      // Chromium lets only a force-installed extension block requests; Firefox lets any.
      guard: guardRunning && (installType === 'admin' || FIREFOX),
      failClosed: Boolean(status.failClosed),
      browser: FIREFOX ? 'firefox' : 'chromium',
    };
  },

  // Content script: what to do in this frame.
  async [MSG.siteConfig](_msg, sender) {
    if (!fromContentScript(sender)) throw new Error('site-config is for content scripts');
    await ready.catch(() => {});
    const { mode, reason, sealerUrl } = modeFor(sender);
    if (sender.frameId === 0) badge(sender.tab.id, mode);
    return { mode, reason, sealerUrl };
  },

  // Content script: a one-time token for the sealer frame it is about to open.
  async [MSG.sealerToken](_msg, sender) {
    if (!fromContentScript(sender)) throw new Error('sealer-token is for content scripts');
    await ready.catch(() => {});
    const { mode, site } = modeFor(sender);
    if (mode !== 'seal') throw new Error('this site is not configured for sealing');
    const token = randomToken();
    await tokens.trimTab(sender.tab.id);
    await tokens.set(token, { tabId: sender.tab.id, origin: site.origin, claimed: false, issued: Date.now() });
    return { token };
  },

  // Content script: a refusal it showed, for the popup.
  async [MSG.refused](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('refused is for content scripts');
    await record('refused', `upload on ${new URL(sender.url).origin}`, String(msg.why ?? '').slice(0, 500));
  },

  // Content script: files it handed to the page sealed, for the popup.
  async [MSG.sealed](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('sealed is for content scripts');
    const count = Number.isSafeInteger(msg.count) ? msg.count : 0;
    await record('sealed', `${count} file${count === 1 ? '' : 's'} on ${new URL(sender.url).origin}`, '', msg.bytes);
  },

  // Sealer frame: prove it was opened by our content script in this tab.
  async [MSG.sealerClaim](msg, sender) {
    if (claiming.has(msg.token)) throw new Error('token already used');
    claiming.add(msg.token);
    try {
      const t = await checkToken(msg, sender);
      if (t.claimed) throw new Error('token already used');
      if (Date.now() - t.issued > TOKEN_TTL_MS) throw new Error('sealer token expired; try again');
      await tokens.set(msg.token, { ...t, claimed: true });
      return { ok: true };
    } finally {
      claiming.delete(msg.token);
    }
  },

  // Sealer frame: header, sealed metadata and the chunk key for one file.
  async [MSG.sealBegin](msg, sender) {
    const t = await checkToken(msg, sender);
    if (!t.claimed) throw new Error('sealer not claimed');
    if (typeof msg.name !== 'string' || typeof msg.mime !== 'string' || !Number.isSafeInteger(msg.size) || msg.size < 0) {
      throw new Error('bad seal-begin fields');
    }
    await ready;
    if (!policy || status.state !== 'valid') throw new Error('no valid OrgSeal policy is installed');
    const modified = Number.isSafeInteger(msg.modified) ? msg.modified : undefined;
    const s = policy.beginSeal(msg.name, msg.mime, msg.size, modified);
    const site = siteOf(t.origin);
    if (!site) throw new Error('this site is no longer in the OrgSeal policy');
    return {
      prefix: toBase64(s.prefix),
      chunkKey: toBase64(s.chunkKey),
      keyId: s.keyId,
      keyLabel: s.keyLabel,
      sealedName: site.sealNames ? randomSealedName() : msg.name,
      hideName: site.sealNames,
    };
  },

  // Offscreen document: how far a download has opened.
  async [MSG.openProgress](msg, sender) {
    if (!fromExtensionPage(sender, OFFSCREEN_PATH)) throw new Error('open-progress is for the offscreen document');
    showOpenProgress(msg.url, Number(msg.done), Number(msg.total));
  },

  // Offscreen document: check a sealed file's prefix, hand back its chunk key.
  async [MSG.openBegin](msg, sender) {
    if (!fromExtensionPage(sender, OFFSCREEN_PATH) || typeof msg.prefix !== 'string') {
      throw new Error('open-begin is for the offscreen document');
    }
    return beginOpen(msg.prefix);
  },
};

// How far a download has opened, as a percentage on the badge of the tab it
// came from.
function showOpenProgress(url, done, total) {
  const tabId = openingTabs.get(url);
  if (tabId === undefined || !api.action || !(total > 0)) return;
  const pct = Math.min(99, Math.floor((100 * done) / total));
  api.action.setBadgeText({ tabId, text: `${pct}%` }).catch(() => {});
  api.action.setTitle({ tabId, title: `OrgSeal is opening a download: ${pct} %` }).catch(() => {});
}

// Checks a sealed file's prefix (base64) and returns this one file's chunk key.
async function beginOpen(prefix) {
  await ready;
  if (!policy || status.state !== 'valid') {
    throw new CodedError('invalid-policy', 'no valid OrgSeal policy is installed, so sealed files cannot be opened');
  }
  const o = policy.beginOpen(fromBase64(prefix));
  return { ...o, chunkKey: toBase64(o.chunkKey) };
}

async function checkToken(msg, sender) {
  const t = typeof msg.token === 'string' ? await tokens.get(msg.token) : undefined;
  if (!t || !fromExtensionPage(sender, 'extension/sealer/') || sender.tab?.id !== t.tabId) {
    throw new Error('unknown sealer token');
  }
  return t;
}

api.runtime.onMessage.addListener(serve(handlers));

// ---- the guard: uploads that carry a file the extension did not seal ----
// Works only where the browser lets the extension block requests: Chrome
// allows `webRequestBlocking` only for a force-installed extension (loaded
// unpacked, the listener runs but cannot cancel; the popup says so).
// What Chromium shows of a request body decides what the guard can see: a
// file the person picked and the extension did not replace appears as a
// `file` entry (its path) in a fetch/XHR body; sealed files are in-memory
// Blobs and never appear so. README lists what it cannot see.
let guardRunning = false;
function guard(details) {
  const picked = (details.requestBody?.raw ?? []).filter((part) => typeof part.file === 'string');
  if (status.state === 'loading') {
    // The service worker has just woken (this request may be what woke it)
    // and the policy is not read yet: a picked file is stopped, wherever it
    // goes, rather than let through unchecked.
    if (!picked.length) return {};
    note(`upload to ${details.url}`, 'stopped by the guard: OrgSeal was starting and could not check it; try again');
    return { cancel: true };
  }
  const site = siteOfUrl(details.url);
  if (!site || !status.failClosed) return {};
  let path;
  try {
    path = new URL(details.url).pathname;
  } catch {
    return {};
  }
  const usable = status.state === 'valid';
  // With a policy that is not usable, every upload of a file to the site is stopped.
  if (usable && !policy?.isUpload(site.origin, path)) return {};
  if (!picked.length) return {};
  note(`upload to ${details.url}`, `stopped by the guard: it carried ${picked.length} file(s) OrgSeal did not seal`);
  if (details.tabId >= 0) badge(details.tabId, 'blocked');
  return { cancel: true };
}
try {
  api.webRequest?.onBeforeRequest.addListener(guard, { urls: ['http://*/*', 'https://*/*'] }, ['blocking', 'requestBody']);
  guardRunning = Boolean(api.webRequest);
} catch {
  guardRunning = false;
}

// ---- downloads ----

// Whether a download is from a configured download endpoint: the address the
// page asked for, or, after redirects (a presigned object-store URL), the
// address it ended at.
async function configuredDownload(item) {
  await ready.catch(() => {});
  if (!policy) return false;
  for (const url of [item.url, item.finalUrl]) {
    try {
      const u = new URL(url);
      if (policy.isDownload(u.origin, u.pathname)) return true;
    } catch {
      // not a URL
    }
  }
  return false;
}

// Chromium: every download the browser starts passes through
// onDeterminingFilename, where ours are taken over.
if (api.downloads?.onDeterminingFilename) {
  api.downloads.onDeterminingFilename.addListener((item, suggest) => {
    const own = ownDownloads.get(item.url);
    if (own) {
      suggest({ filename: own, conflictAction: 'uniquify' });
      return false;
    }
    if (item.url.startsWith('blob:') || item.url.startsWith('data:')) {
      suggest();
      return false;
    }
    (async () => {
      if (!(await configuredDownload(item))) {
        suggest();
        return;
      }
      // Ours: cancel the browser's copy (the site's sealed bytes) and fetch it again.
      await api.downloads.cancel(item.id);
      api.downloads.erase({ id: item.id }).catch(() => {});
      await openDownload(item.url, item.filename);
    })().catch((e) => note(`download ${item.url}`, String(e?.message ?? e)));
    return true;
  });
} else if (api.webRequest?.onHeadersReceived) {
  // Firefox has no onDeterminingFilename, and its response filter fails for
  // a download started by a link. So the response of a configured download
  // endpoint to a navigation (a link, a form, a frame: how a person starts a
  // download) is cancelled before the browser saves anything, and fetched
  // again and opened here. A redirect from a configured endpoint (to a
  // presigned object-store URL) is followed to its end.
  const redirected = new Map(); // requestId → the configured URL it started at
  const header = (details, name) => details.responseHeaders?.find((h) => h.name.toLowerCase() === name)?.value;
  // A listener that throws lets the response through (the browser would save
  // the sealed bytes): any failure on a configured endpoint cancels instead.
  const takeOver = async (/** @type {chrome.webRequest.OnHeadersReceivedDetails & { originUrl?: string }} */ details) => {
    try {
      return await takeOverDownload(details);
    } catch (e) {
      if (!(await configuredDownload({ url: details.url })) && !redirected.has(details.requestId)) return {};
      redirected.delete(details.requestId);
      note(`download ${details.url}`, `OrgSeal could not take it over (${e?.message ?? e}); nothing was saved`);
      return { cancel: true };
    }
  };
  const takeOverDownload = async (/** @type {chrome.webRequest.OnHeadersReceivedDetails & { originUrl?: string }} */ details) => {
    const start = redirected.get(details.requestId) ?? ((await configuredDownload({ url: details.url })) ? details.url : null);
    if (!start) return {};
    if (details.statusCode >= 300 && details.statusCode < 400 && header(details, 'location')) {
      redirected.set(details.requestId, start);
      return {};
    }
    redirected.delete(details.requestId);
    // Nothing from a download endpoint reaches the browser's own saving:
    // what is not a plain answer to a GET (an error page, a form post's
    // answer) is stopped with a note.
    if (details.method !== 'GET' || details.statusCode < 200 || details.statusCode >= 300) {
      note(`download ${start}`, `the site answered ${details.method} with ${details.statusCode}; nothing was saved`);
      return { cancel: true };
    }
    // Only a download the protected site's own pages start (or the person,
    // from the browser itself) is fetched again and opened: another site
    // must not make OrgSeal save the person's files.
    const from = details.originUrl ? siteOfUrl(details.originUrl) : true;
    if (!from) {
      note(`download ${start}`, `started by ${originOf(details.originUrl)}, not by the site: stopped, nothing was saved`);
      return { cancel: true };
    }
    openDownload(start, dispositionName(header(details, 'content-disposition') ?? '') ?? lastSegment(details.url)).catch((e) =>
      note(`download ${start}`, String(e?.message ?? e)),
    );
    return { cancel: true };
  };
  api.webRequest.onHeadersReceived.addListener(
    // Firefox waits for a promise (the chrome types know only a plain answer).
    /** @type {any} */ (takeOver),
    { urls: ['http://*/*', 'https://*/*'], types: ['main_frame', 'sub_frame'] },
    ['blocking', 'responseHeaders'],
  );
  api.webRequest.onErrorOccurred.addListener((d) => redirected.delete(d.requestId), { urls: ['http://*/*', 'https://*/*'] });
  // Opened plaintext left by an event page that was stopped mid-open goes now.
  import('../offscreen/opener.js').then((opener) => opener.sweep()).catch(() => {});
}

// The file name a Content-Disposition header gives (RFC 6266: `filename*`
// in UTF-8 first, then `filename`), or null. Only a fallback, for a file
// that is not sealed, and it passes through the core's safe-name rule.
function dispositionName(value) {
  const star = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(value);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // not percent-encoded UTF-8: try the plain parameter
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(value);
  if (!plain) return null;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2];
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return 'another page';
  }
}

function lastSegment(url) {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'download';
  } catch {
    return 'download';
  }
}

if (api.downloads?.onChanged) {
  api.downloads.onChanged.addListener((delta) => {
    if (delta.state?.current !== 'complete' && delta.state?.current !== 'interrupted') return;
    api.downloads.search({ id: delta.id }).then(([item]) => {
      if (item && ownDownloads.has(item.url)) {
        ownDownloads.delete(item.url);
        revokeOpened(item.url);
      }
    });
  });
}

// Where downloads are fetched again and opened: Chromium's offscreen document
// (its service worker cannot make Blob URLs), or, in Firefox, this background
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

function revokeOpened(blobUrl) {
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

const openingTabs = new Map(); // download URL → the tab whose badge shows its progress

async function openDownload(url, browserName) {
  // The progress goes on the badge of the active tab only if it shows the
  // download's site; never over another site's protection sign.
  const [active] = (await api.tabs?.query({ active: true, lastFocusedWindow: true }).catch(() => [])) ?? [];
  const origin = (u) => {
    try {
      return new URL(u).origin;
    } catch {
      return null;
    }
  };
  const tab = active?.url && origin(active.url) === origin(url) ? active : undefined;
  if (tab?.id !== undefined) openingTabs.set(url, tab.id);
  try {
    await openAndSave(url, browserName);
  } finally {
    openingTabs.delete(url);
    if (tab?.id !== undefined && badgeModes.has(tab.id)) badge(tab.id, badgeModes.get(tab.id));
  }
}

async function openAndSave(url, browserName) {
  const fallback = (browserName || '').split(/[\\/]/).pop() || 'download';
  let opened;
  try {
    opened = await openInOpener(url);
  } catch (e) {
    note(`download of ${fallback}`, e.message);
    return;
  }
  const refusal = opened.sealed ? null : unsealedDownloadRefusal(opened.contentType, opened.finalUrl);
  if (refusal) {
    revokeOpened(opened.blobUrl);
    note(`download of ${fallback}`, refusal.message);
    return;
  }
  // One rule, the core's, for every name saved: the sealed name, or the
  // browser's name for an unsealed file.
  const name = safeFileName(opened.sealed ? opened.name : fallback);
  const how = opened.sealed ? 'fetched and opened' : 'fetched (not sealed, saved as is)';
  console.info(`OrgSeal ${how} ${name} (${opened.size} bytes) in ${opened.ms} ms`);
  try {
    ownDownloads.set(opened.blobUrl, name);
    // Chromium names it in onDeterminingFilename (a name given here would
    // pass through there too); Firefox takes the name here.
    await api.downloads.download({ url: opened.blobUrl, conflictAction: 'uniquify', ...(FIREFOX ? { filename: name, saveAs: false } : {}) });
  } catch (e) {
    // Not saved: the opened file (and its spool) must not linger.
    ownDownloads.delete(opened.blobUrl);
    revokeOpened(opened.blobUrl);
    note(`download of ${name}`, `the browser did not save it (${e?.message ?? e})`);
    return;
  }
  await record(opened.sealed ? 'opened' : 'passed', name, opened.sealed ? '' : 'not sealed: saved as the site sent it', opened.size, opened.ms).catch(() => {});
}
