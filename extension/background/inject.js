// @ts-check
// OrgSeal background: where the content script runs.
//
// Only on the sites the policy names (and the about:blank, srcdoc, blob: and
// data: frames their pages make), registered with the browser to run at
// document_start, before any script of the page: on any other site no
// renderer hosts OrgSeal's isolated world, so a compromised one cannot use it
// to read the policy's keys through storage.managed (review M2). Elsewhere in
// a protected tab (a frame of another origin, a tab the protected page opened
// on another origin, another spelling of a site's address) it is injected as
// the frame commits: too late to be sure it runs first, so the content
// script there starts quarantined (files refused, badge "!"; "Attach a
// sealed file" still works).
import { api, FIREFOX, status, ready, siteOfUrl, openedSite, openedSettled } from './state.js';
import { newTopDocument, quarantine } from './badge.js';

const LATE = 'OrgSeal goes into this part of the page only as it loads (another origin than the protected site\'s, or another spelling of its address), so the page may read files first; files are refused here: use "Attach a sealed file", or open the protected site\'s own address';

export const HOOK = 'extension/content/page-hook.js';
export const CONTENT = ['extension/lib/words.js', ...['base', 'spool', 'sealer', 'routes', 'chooser', 'main'].map((n) => `extension/content/${n}.js`)];
const IDS = ['orgseal-page-hook', 'orgseal-content'];

// An origin's match pattern. Firefox's match patterns have no port (one with
// a port registers but never matches): there the pattern is the host's, on
// any port; the background still tells each frame its mode by exact origin.
const patternOf = (origin) => `${FIREFOX ? origin.replace(/:\d+$/, '') : origin}/*`;

/** The match patterns of the sites in force (valid, or blocked), and the
 * http:// addresses of https:// sites (blocked there from the start). */
function patternsFor(sites) {
  const twins = sites.filter((s) => s.origin.startsWith('https://')).map((s) => patternOf(s.origin.replace(/^https:/, 'http:')));
  return [...new Set([...sites.map((s) => patternOf(s.origin)), ...twins])].sort();
}

// The patterns registered now (null: not asked yet since this service worker
// started). Registrations run one after another: two at once (the start-up
// and the first policy change) would each find the other's.
/** @type {Set<string> | null} */
let registered = null;
let registering = Promise.resolve();
async function registeredPatterns() {
  if (registered === null) {
    const now = await api.scripting.getRegisteredContentScripts({ ids: IDS }).catch(() => []);
    registered = new Set(now.length === IDS.length ? (now[1].matches ?? []) : []);
  }
  return registered;
}
/** Registers the content scripts for the current sites (only when they changed). */
export function registerContentScripts() {
  registering = registering.catch(() => {}).then(async () => {
    if (!api.scripting?.registerContentScripts) return;
    const matches = patternsFor(status.sites ?? []);
    const now = await registeredPatterns();
    if (matches.length === now.size && matches.every((m) => now.has(m))) return;
    await api.scripting.unregisterContentScripts({ ids: IDS }).catch(() => {});
    registered = new Set();
    if (!matches.length) return;
    const common = { matches, runAt: /** @type {const} */ ('document_start'), allFrames: true, matchOriginAsFallback: true, persistAcrossSessions: true };
    await api.scripting.registerContentScripts([
      { id: IDS[0], js: [HOOK], world: 'MAIN', ...common },
      { id: IDS[1], js: CONTENT, ...common },
    ]);
    registered = new Set(matches);
  });
  return registering;
}

/** Puts the page hook and the content script into frames of a tab, marked as late. */
export async function injectLate(tabId, frameIds) {
  if (!api.scripting) return;
  const target = frameIds ? { tabId, frameIds } : { tabId, allFrames: true };
  await api.scripting.executeScript({ target, files: [HOOK], world: 'MAIN', injectImmediately: true });
  await api.scripting.executeScript({
    target,
    injectImmediately: true,
    func: () => {
      /** @type {any} */ (globalThis).__orgsealLate = true;
    },
  });
  await api.scripting.executeScript({ target, files: CONTENT, injectImmediately: true });
}

// A frame that commits in a protected tab, or at an address of a protected
// site, where the registered scripts do not run: injected, late.
const atSite = (url) => Boolean(siteOfUrl(url) ?? siteOfUrl(url.replace(/^http:/, 'https:')));
api.webNavigation?.onCommitted.addListener(async ({ tabId, frameId, url, documentId }) => {
  if (tabId >= 0 && frameId === 0) newTopDocument(tabId); // before any await: the new document's own word comes after
  if (tabId < 0 || !/^https?:/.test(url)) return;
  await ready.catch(() => {}); // this event may be what woke the service worker
  // Registered there (if the registration failed, the scripts go in late).
  if ((await registeredPatterns()).has(patternOf(new URL(url).origin))) return;
  // At an address of a protected site; in a tab a protected tab opened; a
  // frame inside a tab whose top document is protected.
  await openedSettled(tabId);
  let inProtectedTab = atSite(url) || openedSite(tabId) !== undefined;
  if (!inProtectedTab && frameId !== 0) {
    const tab = await api.tabs.get(tabId).catch(() => null);
    inProtectedTab = atSite(tab?.url ?? '');
  }
  if (!inProtectedTab) return;
  // Until the scripts are in, and after: the sign says "!" at once.
  quarantine(tabId, `${frameId}:${documentId ?? url}`, url, LATE);
  injectLate(tabId, [frameId]).catch((e) => console.warn(`OrgSeal could not go into ${url}: ${e?.message ?? e}`));
});

// Tabs open on a site that is protected from now on (a new policy, an
// install or an update): the current scripts go in, late.
export async function injectIntoOpenTabs() {
  for (const tab of (await api.tabs?.query({ url: ['http://*/*', 'https://*/*'] })) ?? []) {
    if (tab.id !== undefined && siteOfUrl(tab.url ?? '')) injectLate(tab.id).catch(() => {});
  }
}
