// @ts-check
// OrgSeal background: one handler per runtime message type. Each checks who
// sent it (by the browser-supplied sender, never by what the message says).
import { toBase64 } from '../lib/bytes.js';
import { MSG, fromExtensionPage, fromContentScript } from '../lib/messages.js';
import { api, FIREFOX, OFFSCREEN_PATH, policy, status, ready, siteOf, siteOfUrl, modeFor, openedSettled } from './state.js';
import { tokens, claiming, TOKEN_TTL_MS, randomToken, checkToken } from './tokens.js';
import { badge, badgeModes, quarantine, quarantinedIn, pageSince, firstQuarantineNotice, stillTop } from './badge.js';
import { guardRunning } from './guard.js';
import { beginOpen, showOpenProgress, openingIn, cancelOpen, openingTab } from './opening.js';
import { RECENT_KEY, report } from './events.js';

const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;

// Seals under way, per tab (from seal-begin to seal-end), for the popup's
// Cancel. In memory: a service worker that stops mid-seal forgets them, and
// the overlay's own Cancel still works.
/** @type {Map<number, Map<string, { name: string, size: number, started: number }>>} */
const sealing = new Map();
api.tabs?.onRemoved.addListener((tabId) => sealing.delete(tabId));
const short = (v, n = 300) => String(v ?? '').slice(0, n);

function randomSealedName() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('') + '.orgseal';
}

// ---- message handlers: one per type ----

export const handlers = {
  // Popup: status for display. Never holds secrets.
  async [MSG.status](msg, sender) {
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
      // The tab the popup was opened over: its sign, the site and key that
      // protect it, the frames quarantined there, and what is under way.
      tab: Number.isSafeInteger(msg.tabId) ? await tabStatus(msg.tabId) : null,
      privateWindows: await api.extension?.isAllowedIncognitoAccess?.().catch(() => null),
    };
  },

  // Popup: stop what is under way in a tab (its seals, or one download being
  // opened). Sealer frame: stop a download it shows (its own tab's only).
  async [MSG.cancel](msg, sender) {
    const fromPopup = fromExtensionPage(sender, 'extension/popup/');
    const fromSealer = fromExtensionPage(sender, 'extension/sealer/');
    if (!fromPopup && !fromSealer) throw new Error('cancel is for the popup and the sealer frame');
    if (msg.what === 'open' && typeof msg.url === 'string') {
      if (fromSealer && openingTab(msg.url) !== sender.tab?.id) throw new Error('that download is not in this tab');
      return cancelOpen(msg.url);
    }
    if (msg.what === 'seal' && fromPopup && Number.isSafeInteger(msg.tabId)) {
      await api.tabs.sendMessage(msg.tabId, { type: MSG.cancelSeals }).catch(() => {});
      return true;
    }
    throw new Error('cancel what?');
  },

  // Content script: what to do in this frame.
  async [MSG.siteConfig](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('site-config is for content scripts');
    await ready.catch(() => {});
    await openedSettled(sender.tab.id);
    const { mode, reason, sealerUrl } = modeFor(sender);
    // The sign is the top document's, and only while it is the tab's top
    // document (it may have been replaced while this waited for the
    // background to wake). The page's record is not reset here: a quarantine
    // this document reported first must stand.
    const top = sender.frameId === 0 && (await stillTop(sender));
    // A document that quarantined itself says so each time it asks (after a
    // back/forward-cache restore too).
    if (typeof msg.quarantined === 'string' && mode !== 'off') {
      quarantine(sender.tab.id, `${sender.frameId}:${sender.documentId ?? sender.url}`, sender.url, msg.quarantined.slice(0, 500));
    }
    if (top) badge(sender.tab.id, mode);
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

  // Content script: a refusal it showed on the page; the person also gets it
  // as a notification (the page can hide its own notice, not this), in the
  // words of lib/words.js, and the popup keeps IT's detail.
  async [MSG.refused](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('refused is for content scripts');
    const names = Array.isArray(msg.names) ? msg.names.slice(0, 20).map((n) => short(n, 120)) : [];
    const code = typeof msg.code === 'string' && Object.hasOwn(W.upload, msg.code) ? msg.code : 'seal-failed';
    // The reason for a blocked frame is the background's own (its mode, or
    // the quarantine it recorded), never words the content script sent.
    const mode = modeFor(sender);
    const reason = code !== 'blocked' ? undefined : mode.mode === 'blocked' ? mode.reason : W.quarantine(siteOfUrl(sender.tab.url ?? '')?.origin ?? sender.url);
    await report({
      kind: 'refused',
      what: names.length ? names.join(', ') : `a file on ${new URL(sender.url).host}`,
      why: `${new URL(sender.url).origin}: ${short(msg.why, 500)}`,
      person: W.upload[code](names, reason),
      notify: W.title.upload,
      tabId: sender.tab.id,
    });
  },

  // Content script: its document may have had the page's listeners ahead of
  // OrgSeal's (content/main.js). Only on a protected site does it matter.
  async [MSG.quarantine](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('quarantine is for content scripts');
    await ready.catch(() => {});
    if (modeFor(sender).mode === 'off') return;
    const reason = String(msg.reason ?? '').slice(0, 500);
    quarantine(sender.tab.id, `${sender.frameId}:${sender.documentId ?? sender.url}`, sender.url, reason);
    // One notification per page, however many of its frames follow.
    const site = siteOfUrl(sender.tab.url ?? '')?.origin ?? sender.url;
    await report({ kind: 'quarantined', what: sender.url, why: reason, person: W.quarantine(site), notify: firstQuarantineNotice(sender.tab.id) ? W.title.quarantine : undefined, tabId: sender.tab.id });
  },

  // Content script: a person's drag out of a page started ({active: true}) or
  // ended (false); without `active`, whether one is in flight, anywhere in
  // the browser (one drag at a time). A drop while one is must not be sealed:
  // its files may be the page's own (a file-system file the page put in the
  // drag). One left by a missed dragend lapses after two minutes.
  async [MSG.pageDrag](msg, sender) {
    if (!fromContentScript(sender)) throw new Error('page-drag is for content scripts');
    const KEY = 'pageDrag';
    if (msg.active === true) return api.storage.session.set({ [KEY]: Date.now() });
    if (msg.active === false) return api.storage.session.remove(KEY);
    const since = (await api.storage.session.get(KEY))[KEY];
    return typeof since === 'number' && Date.now() - since < 120000;
  },

  // Sealer frame: how one file's seal ended (sealed, cancelled, failed), for
  // the popup's list of what happened on this page.
  async [MSG.sealEnd](msg, sender) {
    const t = await checkToken(msg, sender);
    const job = `${msg.token}:${msg.job}`;
    const begun = sealing.get(t.tabId)?.get(job);
    if (!begun) throw new Error('no such seal');
    sealing.get(t.tabId)?.delete(job);
    const kind = { sealed: 'sealed', cancelled: 'cancelled' }[msg.outcome] ?? 'refused';
    const ms = Number.isSafeInteger(msg.ms) ? msg.ms : null;
    const why = kind === 'sealed' ? `sealed in ${ms ?? '?'} ms for ${t.origin}` : kind === 'cancelled' ? 'cancelled by the person: nothing was attached or sent' : short(msg.why, 500);
    await report({ kind, what: begun.name, why, size: begun.size, ms, tabId: t.tabId });
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
    const site = siteOf(t.origin);
    if (!site) throw new Error('this site is no longer in the OrgSeal policy');
    const s = policy.beginSeal(msg.name, msg.mime, msg.size, modified);
    if (Number.isSafeInteger(msg.job)) {
      const jobs = sealing.get(t.tabId) ?? new Map();
      sealing.set(t.tabId, jobs);
      jobs.set(`${msg.token}:${msg.job}`, { name: short(msg.name, 200), size: msg.size, started: Date.now() });
    }
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

// What the popup says about one tab.
async function tabStatus(tabId) {
  const tab = await api.tabs.get(tabId).catch(() => null);
  const site = tab?.url ? siteOfUrl(tab.url) : null;
  return {
    id: tabId,
    mode: badgeModes.get(tabId) ?? 'off',
    since: pageSince(tabId),
    site: site?.origin ?? null,
    sealNames: Boolean(site?.sealNames),
    reason: tab?.url && site ? modeFor({ url: tab.url, tab }).reason ?? null : null,
    quarantined: quarantinedIn(tabId),
    sealing: [...(sealing.get(tabId)?.values() ?? [])].filter((j) => j.started >= pageSince(tabId)),
    opening: openingIn(tabId),
  };
}

// How far a download has opened, as a percentage on the badge of the tab it
