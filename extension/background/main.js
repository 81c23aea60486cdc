// OrgSeal background: the only context that holds the org keys.
//
// It reads the policy from managed storage, answers each content script with
// its site's mode, hands one chunk key per file to the extension's own sealer
// frames and offscreen document, and intercepts downloads from configured
// download endpoints. Every message type has one handler, which checks who
// sent it (by the browser-supplied sender, never by what the message claims).
import { loadCore, PolicyState } from '../lib/wasm.js';
import { toBase64, fromBase64 } from '../lib/bytes.js';

const api = globalThis.browser ?? globalThis.chrome;
const SEALER_URL = api.runtime.getURL('extension/sealer/sealer.html');
const OFFSCREEN_PATH = 'extension/offscreen/offscreen.html';

let policy = null; // PolicyState, or null when no policy is installed
let status = { state: 'loading' };
const recent = []; // last refusals, for the popup: {when, what, why}
// Sealer tokens live in session storage (memory only, extension contexts only)
// so that they outlive the service worker being stopped while a page is open.
const tokens = {
  async get(token) {
    const key = `sealer:${token}`;
    return (await api.storage.session.get(key))[key];
  },
  async set(token, value) {
    await api.storage.session.set({ [`sealer:${token}`]: value });
  },
  // A tab's tokens go with the tab, so the store does not grow for the whole session.
  async dropTab(tabId) {
    const all = await api.storage.session.get(null);
    const stale = Object.keys(all).filter((k) => k.startsWith('sealer:') && all[k]?.tabId === tabId);
    if (stale.length) await api.storage.session.remove(stale);
  },
};
api.tabs?.onRemoved.addListener((tabId) => tokens.dropTab(tabId).catch(() => {}));
const ownDownloads = new Map(); // blob URL → file name we save it under

async function loadPolicy() {
  await loadCore();
  let items = {};
  try {
    items = (await api.storage.managed.get(null)) ?? {};
  } catch {
    items = {}; // Firefox rejects when no policy exists
  }
  policy?.free();
  if (Object.keys(items).length === 0) {
    policy = null;
    status = { state: 'none', problems: [], keys: [], keyLabels: [], sites: [], failClosed: false };
  } else {
    policy = PolicyState.fromJson(JSON.stringify(items));
    status = policy.status();
  }
}

let ready = loadPolicy();
api.storage.onChanged.addListener((_changes, area) => {
  if (area === 'managed') ready = loadPolicy();
});

function note(what, why) {
  recent.unshift({ when: Date.now(), what, why });
  recent.length = Math.min(recent.length, 20);
}

function siteOf(origin) {
  return status.sites?.find((s) => s.origin === origin) ?? null;
}

function randomToken() {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return toBase64(b).replace(/[+/=]/g, '');
}

function randomSealedName() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('') + '.orgseal';
}

function senderOrigin(sender) {
  if (sender.origin) return sender.origin;
  try {
    return new URL(sender.url).origin;
  } catch {
    return null;
  }
}

const fromExtensionPage = (sender, path) =>
  sender.id === api.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(api.runtime.getURL(path));

// ---- message handlers: one per type ----

const handlers = {
  // Popup: status for display. Never holds secrets.
  async status(_msg, sender) {
    if (!fromExtensionPage(sender, 'extension/popup/')) throw new Error('status is for the popup');
    await ready;
    return { status, recent, version: api.runtime.getManifest().version, extensionId: api.runtime.id };
  },

  // Content script: what to do on this page.
  async 'site-config'(_msg, sender) {
    if (!sender.tab || sender.id !== api.runtime.id) throw new Error('site-config is for content scripts');
    await ready;
    const origin = senderOrigin(sender);
    const site = siteOf(origin);
    if (!site) return { mode: 'off' };
    if (status.state !== 'valid') {
      return {
        mode: status.failClosed ? 'blocked' : 'off',
        reason: `the OrgSeal policy is invalid (${status.problems[0] ?? 'unknown problem'}); ask IT to fix it`,
      };
    }
    return { mode: 'seal', sealerUrl: SEALER_URL };
  },

  // Content script: a one-time token for the sealer frame it is about to open.
  async 'sealer-token'(_msg, sender) {
    if (!sender.tab || sender.id !== api.runtime.id) throw new Error('sealer-token is for content scripts');
    await ready;
    const origin = senderOrigin(sender);
    if (status.state !== 'valid' || !siteOf(origin)) throw new Error('this site is not configured for sealing');
    const token = randomToken();
    await tokens.set(token, { tabId: sender.tab.id, origin, claimed: false });
    return { token };
  },

  // Sealer frame: prove it was opened by our content script in this tab.
  async 'sealer-claim'(msg, sender) {
    const t = await checkToken(msg, sender);
    if (t.claimed) throw new Error('token already used');
    await tokens.set(msg.token, { ...t, claimed: true });
    return { ok: true };
  },

  // Sealer frame: header, sealed metadata and the chunk key for one file.
  async 'seal-begin'(msg, sender) {
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
    return {
      prefix: toBase64(s.prefix),
      chunkKey: toBase64(s.chunkKey),
      keyId: s.keyId,
      keyLabel: s.keyLabel,
      sealedName: site?.sealNames ? randomSealedName() : msg.name,
    };
  },

  // Offscreen document: check a sealed file's prefix, hand back its chunk key.
  async 'open-begin'(msg, sender) {
    if (!fromExtensionPage(sender, OFFSCREEN_PATH) || typeof msg.prefix !== 'string') {
      throw new Error('open-begin is for the offscreen document');
    }
    await ready;
    if (!policy || status.state !== 'valid') {
      const e = new Error('no valid OrgSeal policy is installed, so sealed files cannot be opened');
      e.code = 'invalid-policy';
      throw e;
    }
    const o = policy.beginOpen(fromBase64(msg.prefix));
    return { ...o, chunkKey: toBase64(o.chunkKey) };
  },
};

async function checkToken(msg, sender) {
  const t = typeof msg.token === 'string' ? await tokens.get(msg.token) : undefined;
  if (!t || !fromExtensionPage(sender, 'extension/sealer/') || sender.tab?.id !== t.tabId) {
    throw new Error('unknown sealer token');
  }
  return t;
}

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || typeof msg.type !== 'string' || msg.target === 'offscreen') return false;
  const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
  if (!handler) return false;
  handler(msg, sender).then(
    (value) => sendResponse({ ok: true, value }),
    (e) => sendResponse({ ok: false, error: { code: e?.code ?? 'error', message: String(e?.message ?? e) } }),
  );
  return true;
});

// ---- downloads ----

function sanitizeName(name) {
  const clean = String(name)
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 200);
  return clean || 'download';
}

async function configuredDownload(url) {
  await ready;
  if (!policy) return false;
  try {
    const u = new URL(url);
    return policy.isDownload(u.origin, u.pathname);
  } catch {
    return false;
  }
}

if (api.downloads?.onDeterminingFilename) {
  api.downloads.onDeterminingFilename.addListener((item, suggest) => {
    const own = ownDownloads.get(item.url);
    if (own) {
      suggest({ filename: own, conflictAction: 'uniquify' });
      return false;
    }
    if (item.url.startsWith('blob:') || item.url.startsWith('data:')) return false;
    (async () => {
      if (!(await configuredDownload(item.finalUrl || item.url))) {
        suggest();
        return;
      }
      // Ours: cancel the browser's copy (the site's sealed bytes) and fetch it again.
      await api.downloads.cancel(item.id);
      api.downloads.erase({ id: item.id }).catch(() => {});
      await openDownload(item.finalUrl || item.url, item.filename);
    })().catch((e) => note(`download ${item.url}`, String(e?.message ?? e)));
    return true;
  });

  api.downloads.onChanged.addListener((delta) => {
    if (delta.state?.current !== 'complete' && delta.state?.current !== 'interrupted') return;
    api.downloads.search({ id: delta.id }).then(([item]) => {
      if (item && ownDownloads.has(item.url)) {
        ownDownloads.delete(item.url);
        api.runtime.sendMessage({ target: 'offscreen', type: 'revoke', url: item.url }).catch(() => {});
      }
    });
  });
}

async function ensureOffscreen() {
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
}

async function openDownload(url, browserName) {
  await ensureOffscreen();
  const fallback = (browserName || '').split(/[\\/]/).pop() || 'download';
  const res = await api.runtime.sendMessage({ target: 'offscreen', type: 'open-url', url, fallbackName: fallback });
  if (!res?.ok) {
    note(`download of ${fallback}`, res?.error?.message ?? 'the offscreen document did not answer');
    return;
  }
  const name = sanitizeName(res.value.name);
  const how = res.value.sealed ? 'fetched and opened' : 'fetched (not sealed, saved as is)';
  console.info(`OrgSeal ${how} ${name} (${res.value.size} bytes) in ${res.value.ms} ms`);
  ownDownloads.set(res.value.blobUrl, name);
  await api.downloads.download({ url: res.value.blobUrl, conflictAction: 'uniquify' });
}
