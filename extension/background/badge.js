// @ts-check
// OrgSeal background: the toolbar badge, a sign the page cannot fake, and the
// frames of each tab that OrgSeal quarantined (the page may have listened
// there first): while a tab has one, its badge shows "!" and never "ON".
import '../lib/words.js';
import { api } from './state.js';

const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;

export const badgeModes = new Map(); // tabId → the mode its top document has

// The toolbar icon (a padlock, its lower right left plain for the badge),
// set here rather than named in manifest.json: Chromium re-encodes every
// image the manifest names when it installs a CRX, so those files would no
// longer match the pinned build that auditors check (docs/AUDIT.md).
// Set at every start of the background (the browser keeps it while it runs).
const ICON = Object.fromEntries([16, 32, 48, 128].map((n) => [n, `/extension/icons/orgseal-${n}.png`]));
api.action?.setIcon({ path: ICON }).catch((e) => console.warn(`OrgSeal could not set its icon: ${e?.message ?? e}`));
api.runtime.onStartup?.addListener(() => {}); // so that the background starts with the browser, and the icon with it
/** @type {Map<number, { frames: Map<string, { url: string, reason: string }>, since: number, told: boolean }>} */
const quarantines = new Map();
const page = (tabId) => {
  const q = quarantines.get(tabId) ?? { frames: new Map(), since: 0, told: false };
  quarantines.set(tabId, q);
  return q;
};

// The badge states, agreed once: ON (green) where files are sealed, "!"
// (red) where OrgSeal blocks files (the whole page, or a part the page could
// read first), nothing where OrgSeal does nothing. While a download opens,
// its percentage stands in for the sign (background/opening.js).
const LOOK = {
  seal: ['ON', '#1a7f37', W.badge.seal],
  blocked: ['!', '#b42318', W.badge.blocked],
  quarantined: ['!', '#b42318', W.badge.quarantined],
  off: ['', '#777', W.badge.off],
};

export function badge(tabId, mode) {
  if (!api.action || tabId === undefined || tabId < 0) return;
  badgeModes.set(tabId, mode);
  const shown = mode === 'seal' && quarantines.get(tabId)?.frames.size ? 'quarantined' : mode;
  const [text, color, title] = LOOK[shown];
  api.action.setBadgeText({ tabId, text }).catch(() => {});
  api.action.setBadgeBackgroundColor({ tabId, color }).catch(() => {});
  api.action.setTitle({ tabId, title }).catch(() => {});
}

// A tab's top document changed (webNavigation's commit of frame 0, before
// the new document's scripts can speak): its quarantined frames go. A
// document back from the back/forward cache says again that it is
// quarantined (content/base.js sends it with each site-config).
// Its mode goes too: the new document's site-config sets it (a page of a
// site OrgSeal does not protect never asks, and must not keep the old ON).
export function newTopDocument(tabId) {
  quarantines.set(tabId, { frames: new Map(), since: Date.now(), told: false });
  badgeModes.delete(tabId);
}

/**
 * Whether `sender` is still the top document of its tab, asked after any
 * wait: a site-config that waited (the background was waking) must not set
 * the sign of the document that replaced it. By document id where the
 * browser gives one (Chromium), else by origin (Firefox): a later document
 * of the same origin has the same mode.
 * @param {chrome.runtime.MessageSender} sender
 */
export async function stillTop(sender) {
  const frame = await api.webNavigation?.getFrame({ tabId: /** @type {number} */ (sender.tab?.id), frameId: 0 }).catch(() => null);
  if (!frame) return false;
  const f = /** @type {any} */ (frame);
  if (f.documentId && sender.documentId) return f.documentId === sender.documentId;
  const origin = (u) => {
    try {
      return new URL(u).origin;
    } catch {
      return null;
    }
  };
  return origin(frame.url) !== null && origin(frame.url) === origin(sender.url ?? '');
}

/** When the tab's top document came (what happened "on this page" is what came after). */
export const pageSince = (tabId) => quarantines.get(tabId)?.since ?? 0;

export function quarantine(tabId, frameKey, url, reason) {
  page(tabId).frames.set(frameKey, { url, reason });
  badge(tabId, badgeModes.get(tabId) ?? 'seal');
}

/** True the first time it is asked for a tab's page: one notice per page. */
export function firstQuarantineNotice(tabId) {
  const q = page(tabId);
  const first = !q.told;
  q.told = true;
  return first;
}

/** The quarantined frames of a tab, for the popup. */
export const quarantinedIn = (tabId) => [...(quarantines.get(tabId)?.frames.values() ?? [])];

api.tabs?.onRemoved.addListener((tabId) => {
  quarantines.delete(tabId);
  badgeModes.delete(tabId);
});
