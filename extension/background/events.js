// @ts-check
// OrgSeal background: what happened, told to the person. Each event goes
// into the list the popup shows (per tab, with the technical detail for IT)
// and, when the person must know (a refusal, a quarantine), into a browser
// notification: a surface the page can neither draw nor hide, in the plain
// words of lib/words.js, with a next step. A click on it opens the details.
import '../lib/words.js';
import { api } from './state.js';

const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;
export const RECENT_KEY = 'recent';
const ICON = 'extension/icons/orgseal-128.png';

/**
 * One entry of the popup's list.
 * @typedef {{ when: number, kind: string, what: string, why: string, size: number | null, ms: number | null,
 *   tabId?: number, person?: string, notice?: { id: string, title: string, message: string } }} RecentEntry
 */

/**
 * Records an event; with `notify`, also shows it as a notification.
 * @param {{ kind: string, what: string, why?: string, size?: number | null, ms?: number | null,
 *   tabId?: number, person?: string, notify?: string }} e
 *   kind: sealed, opened, passed, refused, cancelled, quarantined; what: the
 *   file's name (or what was refused); why: IT's detail; person: the plain
 *   sentence; notify: the notification's title.
 */
export async function report(e) {
  /** @type {RecentEntry} */
  const entry = { when: Date.now(), kind: e.kind, what: e.what, why: e.why ?? '', size: e.size ?? null, ms: e.ms ?? null };
  if (Number.isSafeInteger(e.tabId) && /** @type {number} */ (e.tabId) >= 0) entry.tabId = e.tabId;
  if (e.person) entry.person = e.person;
  if (e.notify && e.person) entry.notice = await notify(e.notify, e.person, entry.tabId);
  const list = /** @type {RecentEntry[]} */ ((await api.storage.session.get(RECENT_KEY))[RECENT_KEY] ?? []);
  list.unshift(entry);
  await api.storage.session.set({ [RECENT_KEY]: list.slice(0, 50) });
}

let nextNotice = 1;
// One notice of a kind for a tab within a few seconds (a person clicking again
// and again on a blocked field is told once; a page cannot make a stream of
// them by changing a name). The popup's list keeps every event.
const lastShown = new Map(); // `${tabId}|${title}` → when
const REPEAT_MS = 5000;
/** Shows a notification; resolves to what was shown (undefined if the browser refused, or it was just shown). */
async function notify(title, message, tabId) {
  if (!api.notifications) return undefined;
  const key = `${tabId}|${title}`;
  const now = Date.now();
  if (now - (lastShown.get(key) ?? 0) < REPEAT_MS) return undefined;
  lastShown.set(key, now);
  if (lastShown.size > 100) lastShown.delete(lastShown.keys().next().value);
  const id = `orgseal-${Date.now()}-${nextNotice++}${tabId === undefined ? '' : `-tab${tabId}`}`;
  try {
    await api.notifications.create(id, { type: 'basic', iconUrl: api.runtime.getURL(ICON), title, message, priority: 2 });
    return { id, title, message };
  } catch (err) {
    console.warn(`OrgSeal could not show a notification (${err?.message ?? err}): ${message}`);
    return undefined;
  }
}

// A click on a notification opens the popup's page in a tab, for the tab it
// was about, with the details open (the technical detail is for IT).
api.notifications?.onClicked.addListener((id) => {
  const tab = /-tab(\d+)$/.exec(id)?.[1];
  api.tabs.create({ url: api.runtime.getURL(`extension/popup/popup.html?details=1${tab ? `&tab=${tab}` : ''}`) }).catch(() => {});
  api.notifications.clear(id).catch(() => {});
});

/** The refusal of a download, in the person's words (by the reader's code) and IT's. */
export function refuseDownload(name, code, detail, tabId) {
  const reason = W.downloadReason(code);
  const person = W.download[reason](name);
  // A download another site started is not the person's: recorded for the
  // popup, with no notification (that site could make a stream of them).
  const notify = reason === 'other-site' ? undefined : W.title.download;
  return report({ kind: 'refused', what: name, why: detail, person, notify, tabId }).catch(() => {});
}

/** The refusal of an upload the guard stopped. */
export function refuseByGuard(url, detail, starting, tabId) {
  const person = starting ? W.guard.starting() : W.guard.unsealed(url);
  return report({ kind: 'refused', what: `upload to ${url}`, why: detail, person, notify: W.title.guard, tabId }).catch(() => {});
}

/** An internal failure, for IT only (no notification). */
export const note = (what, why) => report({ kind: 'refused', what, why }).catch(() => {});
