// @ts-check
// OrgSeal background: the upload guard.
import { api, FIREFOX, status, ready, siteOfUrl } from './state.js';
import { badge, badgeModes } from './badge.js';
import { refuseByGuard } from './events.js';

// ---- the guard: uploads that carry a file the extension did not seal ----
// Works only where the browser lets the extension block requests: Chrome
// allows `webRequestBlocking` only for a force-installed extension (loaded
// unpacked, the listener runs but cannot cancel; the popup says so).
// What Chromium shows of a request body decides what the guard can see: a
// file the person picked and the extension did not replace appears as a
// `file` entry (its path) in a fetch/XHR body; sealed files are in-memory
// Blobs and never appear so. README lists what it cannot see.
export let guardRunning = false;
function guard(details) {
  const picked = (details.requestBody?.raw ?? []).filter((part) => typeof part.file === 'string');
  if (!picked.length) return {};
  if (status.state === 'loading') {
    // The background has just woken (this request may be what woke it) and
    // the policy is not read yet. Firefox waits for an answer: it comes once
    // the policy is read, for the sites it names only. Chromium's blocking
    // listener must answer now, and nothing is known yet: a picked file is
    // stopped, wherever it goes, rather than let through unchecked (the
    // person is told to try again; the next try finds OrgSeal awake).
    if (FIREFOX) return ready.then(() => decide(details, picked), () => decide(details, picked));
    refuseByGuard(details.url, 'stopped by the guard: OrgSeal was starting and could not check it; try again', true, details.tabId);
    return { cancel: true };
  }
  return decide(details, picked);
}
function decide(details, picked) {
  if (!status.failClosed) return {};
  // A file the person picked and OrgSeal did not seal is never legitimate on
  // its way to a protected site (any path, any spelling of its address), nor
  // on its way anywhere from a protected page or a tab that shows one.
  const to = siteOfUrl(details.url);
  const from = siteOfUrl(details.initiator ?? details.originUrl ?? '') ?? (details.tabId >= 0 && badgeModes.get(details.tabId) !== undefined && badgeModes.get(details.tabId) !== 'off');
  if (!to && !from) return {};
  refuseByGuard(details.url, `stopped by the guard: it carried ${picked.length} file(s) OrgSeal did not seal`, false, details.tabId);
  if (details.tabId >= 0) badge(details.tabId, 'blocked');
  return { cancel: true };
}
try {
  // (Firefox waits for a promise; the chrome types know only a plain answer.)
  api.webRequest?.onBeforeRequest.addListener(/** @type {any} */ (guard), { urls: ['http://*/*', 'https://*/*'] }, ['blocking', 'requestBody']);
  guardRunning = Boolean(api.webRequest);
} catch {
  guardRunning = false;
}
