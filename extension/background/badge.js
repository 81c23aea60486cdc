// @ts-check
// OrgSeal background: the toolbar badge, a sign the page cannot fake, and the
// frames of each tab that OrgSeal quarantined (the page may have listened
// there first): while a tab has one, its badge shows "!" and never "ON".
import { api } from './state.js';

export const badgeModes = new Map(); // tabId → the mode its top document has
/** @type {Map<number, { frames: Map<string, { url: string, reason: string }> }>} */
const quarantines = new Map();

const LOOK = {
  seal: ['ON', '#1a7f37', 'OrgSeal protects this page: files you pick, drop or paste are sealed'],
  blocked: ['!', '#b42318', 'OrgSeal blocks files on this page (see the popup)'],
  quarantined: ['!', '#b42318', 'OrgSeal blocks files in part of this page, which may read them first (see the popup)'],
  off: ['', '#777', 'OrgSeal: this page is not a site your organisation protects'],
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
export function newTopDocument(tabId) {
  quarantines.set(tabId, { frames: new Map() });
}

export function quarantine(tabId, frameKey, url, reason) {
  const q = quarantines.get(tabId) ?? { frames: new Map() };
  quarantines.set(tabId, q);
  q.frames.set(frameKey, { url, reason });
  badge(tabId, badgeModes.get(tabId) ?? 'seal');
}

/** The quarantined frames of a tab, for the popup. */
export const quarantinedIn = (tabId) => [...(quarantines.get(tabId)?.frames.values() ?? [])];

api.tabs?.onRemoved.addListener((tabId) => {
  quarantines.delete(tabId);
  badgeModes.delete(tabId);
});
