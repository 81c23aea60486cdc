// @ts-check
// OrgSeal background: the policy, which site a frame belongs to, and what
// the popup lists. The only module that reads managed storage.
import { loadCore, PolicyState } from '../lib/wasm.js';
import { MSG } from '../lib/messages.js';

export const api = globalThis.browser ?? globalThis.chrome;
export const SEALER_URL = api.runtime.getURL('extension/sealer/sealer.html');
export const OFFSCREEN_PATH = 'extension/offscreen/offscreen.html';
// Firefox (the only browser with runtime.getBrowserInfo): an event page with
// a DOM instead of a service worker, no offscreen documents and no
// onDeterminingFilename, and blocking webRequest for every extension.
export const FIREFOX = typeof (/** @type {any} */ (api.runtime).getBrowserInfo) === 'function';

/** @typedef {{ origin: string, upload: string[], download: string[], sealNames: boolean }} Site */
/**
 * `PolicyState.status()`, or what this file says while there is none to ask.
 * @typedef {{ state: string, problems?: string[], keys?: { label: string, id: string, encrypt: boolean }[],
 *   keyLabels?: string[], sites?: Site[], failClosed?: boolean }} PolicyStatus
 */

/** @type {PolicyState | null} */
export let policy = null; // PolicyState, or null when no policy is installed
/** @type {PolicyStatus} */
export let status = { state: 'loading' };

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

// ---- which site a frame belongs to ----

// An origin as the policy spells sites: a trailing dot on the host
// ("files.example.com." is the same server, name and certificate) removed.
export function canonicalOrigin(url) {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return u.origin;
    if (u.hostname.endsWith('.')) u.hostname = u.hostname.replace(/\.+$/, '');
    return u.origin;
  } catch {
    return null;
  }
}

// The site entry of a frame. Matched on the document URL, not on a possibly
// opaque origin: a sandboxed document of a configured site is that site. A
// frame without an address of its own (about:blank, srcdoc, data:, or a
// blob: of an opaque origin) belongs to the origin that made it; any frame
// in a tab whose top document is a protected site is protected too, and so
// is a tab that a protected tab opened (a picker window on another origin
// that posts the file back). Resolves to {site, twin}: `twin` when the
// address is another spelling of a protected site's (a trailing-dot host,
// "files.example.com.": the same server, name and certificate; or the
// http:// address of an https:// site), where files are refused and the
// person is told which address to use.
export function siteOfSender(sender) {
  const candidates = [];
  const add = (u) => {
    try {
      const { protocol, origin } = new URL(u);
      if ((protocol === 'http:' || protocol === 'https:' || protocol === 'blob:') && origin !== 'null') candidates.push(u);
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
  for (const url of candidates) {
    const site = siteOfUrl(url);
    if (site) return { site, twin: !url.startsWith('blob:') && new URL(url).origin !== site.origin };
  }
  for (const url of candidates) {
    const site = httpTwin(url);
    if (site) return { site, twin: true };
  }
  const opened = sender.tab?.id !== undefined ? openedBy.get(sender.tab.id) : undefined;
  const site = opened ? siteOf(opened) : null;
  return site ? { site, twin: false } : null;
}

export function siteOf(origin) {
  return status.sites?.find((s) => s.origin === origin) ?? null;
}

// The site of a URL, its host spelled with or without a trailing dot.
export function siteOfUrl(url) {
  const origin = canonicalOrigin(url);
  return origin ? siteOf(origin) : null;
}

// The https:// site whose http:// address this is (the vendor decides
// whether the browser may reach it unencrypted).
function httpTwin(url) {
  const origin = canonicalOrigin(url);
  return origin?.startsWith('http://') ? siteOf(origin.replace(/^http:/, 'https:').replace(/:80$/, '')) : null;
}

// Tabs a protected tab opened (and the tabs those opened), with the site of
// the tab that started the chain: protected for as long as they live.
/** @type {Map<number, string>} */
const openedBy = new Map();
// Kept in session storage too: the service worker may stop while they live.
const OPENED_KEY = 'openedBy';
const saveOpened = () => api.storage.session.set({ [OPENED_KEY]: [...openedBy] }).catch(() => {});
const openedLoaded = api.storage.session.get(OPENED_KEY).then(
  (v) => {
    for (const [tab, origin] of /** @type {[number, string][]} */ (v[OPENED_KEY] ?? [])) openedBy.set(tab, origin);
  },
  () => {},
);
// A tab the page opened (window.open, a link with a target), whether or not
// the page keeps a handle on it: not a tab the person opened themselves.
// (Its first document commits, and asks for its mode, before this is known:
// they wait for it, through `openedSettled`.)
const openedPending = new Map(); // tabId → the decision being made
api.webNavigation?.onCreatedNavigationTarget.addListener(({ sourceTabId, tabId }) => {
  const decided = (async () => {
    await ready.catch(() => {});
    const opener = await api.tabs.get(sourceTabId).catch(() => null);
    const origin = openedBy.get(sourceTabId) ?? siteOfUrl(opener?.url ?? '')?.origin;
    if (!origin) return;
    openedBy.set(tabId, origin);
    saveOpened();
  })();
  openedPending.set(tabId, decided);
  decided.finally(() => openedPending.get(tabId) === decided && openedPending.delete(tabId));
});
/** Resolves once whether a protected tab opened `tabId` is known. */
export const openedSettled = (tabId) => openedPending.get(tabId)?.catch(() => {}) ?? Promise.resolve();
api.tabs?.onRemoved.addListener((tabId) => {
  if (openedBy.delete(tabId)) saveOpened();
});
/** The site a protected tab opened this tab for, if it did. */
export const openedSite = (tabId) => openedBy.get(tabId);

export function modeFor(sender) {
  const found = siteOfSender(sender);
  if (!found) return { mode: 'off' };
  const { site, twin } = found;
  if (twin) {
    const here = canonicalOrigin(sender.url ?? '') ?? 'this address';
    return { mode: 'blocked', reason: `${here} is another address of your organisation's site ${site.origin}; open ${site.origin} instead`, site };
  }
  if (status.state !== 'valid') {
    // The person reads this on the page and in notifications: no policy
    // member or path (IT reads those in the popup's details).
    return { mode: status.failClosed ? 'blocked' : 'off', reason: 'OrgSeal is not set up correctly in this browser, so files are blocked here; tell IT' };
  }
  return { mode: 'seal', sealerUrl: SEALER_URL, site };
}

// Loads run one after another, so a slow early load never lands last.
/** @type {Promise<unknown>} */
export let ready = Promise.all([loadPolicy(), openedLoaded]);
ready.then(broadcast, () => {});
api.storage.onChanged.addListener((_changes, area) => {
  if (area !== 'managed') return;
  ready = ready.catch(() => {}).then(loadPolicy);
  ready.then(broadcast, () => {});
});
