// @ts-check
// OrgSeal background: the one-time tokens that bind a sealer frame to the
// content script that opened it, in its tab.
import { toBase64 } from '../lib/bytes.js';
import { fromExtensionPage } from '../lib/messages.js';
import { api } from './state.js';

/** @typedef {{ tabId: number, origin: string, claimed: boolean, issued: number }} SealerToken */

// Sealer tokens live in session storage (memory only, extension contexts only)
// so that they outlive the service worker being stopped while a page is open.
// A token is good for one claim, within TOKEN_TTL_MS of being issued.
export const TOKEN_TTL_MS = 60000;
const MAX_TAB_TOKENS = 32;
export const claiming = new Set(); // tokens being claimed right now (claims are atomic)
export const tokens = {
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

export function randomToken() {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return toBase64(b).replace(/[+/=]/g, '');
}

export async function checkToken(msg, sender) {
  const t = typeof msg.token === 'string' ? await tokens.get(msg.token) : undefined;
  if (!t || !fromExtensionPage(sender, 'extension/sealer/') || sender.tab?.id !== t.tabId) {
    throw new Error('unknown sealer token');
  }
  return t;
}
