// @ts-check
// OrgSeal background: which downloads are taken over (Chromium's
// onDeterminingFilename; Firefox's response headers), to be opened.
import { api, policy, ready, siteOfUrl, canonicalOrigin } from './state.js';
import { refuseDownload } from './events.js';
import { ownDownloads, isOwnBlob, openDownload, revokeOpened } from './opening.js';

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
      if (policy.isDownload(canonicalOrigin(url), u.pathname)) return true;
    } catch {
      // not a URL
    }
  }
  return false;
}

// Chromium: every download the browser starts passes through
// onDeterminingFilename, where ours are taken over. A download item does not
// say who started it, so the page that asked for each download endpoint's
// address is noted as the request goes out: only a download the protected
// site's own pages start (or the person, from the browser itself) is
// fetched again and opened; another site must not make OrgSeal save the
// person's files (a hidden frame on evil.example pointed at a download URL).
/** @type {Map<string, { from: string | null, tabId: number }>} download URL → the origin of the page that asked for it (null: the person) and its tab */
const initiators = new Map();
function noteInitiator(details) {
  try {
    if (!policy?.isDownload(canonicalOrigin(details.url), new URL(details.url).pathname)) return {};
  } catch {
    return {};
  }
  initiators.delete(details.url);
  initiators.set(details.url, { from: details.initiator ?? null, tabId: details.tabId });
  if (initiators.size > 200) initiators.delete(initiators.keys().next().value);
  return {};
}
if (api.downloads?.onDeterminingFilename) {
  api.webRequest?.onBeforeRequest.addListener(noteInitiator, { urls: ['http://*/*', 'https://*/*'] });
  api.downloads.onDeterminingFilename.addListener((item, suggest) => {
    const own = ownDownloads.get(item.url);
    if (own) {
      suggest({ filename: own, conflictAction: 'uniquify' });
      return false;
    }
    if (isOwnBlob(item.url)) {
      // Ours, from before this service worker started: its name is kept.
      ownDownloads.find(item.url).then(
        (name) => suggest(name ? { filename: name, conflictAction: 'uniquify' } : undefined),
        () => suggest(),
      );
      return true;
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
      const asked = initiators.get(item.url) ?? initiators.get(item.finalUrl);
      const from = asked?.from;
      if (from && !siteOfUrl(from)) {
        refuseDownload(nameOf(item.filename, item.url), 'other-site', `${item.url}: started by ${originOf(from)}, not by the site: stopped, nothing was saved`);
        return;
      }
      await openDownload(item.url, item.filename, asked?.tabId);
    })().catch((e) => refuseDownload(nameOf(item.filename, item.url), e?.code, `${item.url}: ${e?.message ?? e}`));
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
      refuseDownload(lastSegment(details.url), e?.code, `${details.url}: OrgSeal could not take it over (${e?.message ?? e}); nothing was saved`, details.tabId);
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
    // Only a download the protected site's own pages start (or the person,
    // from the browser itself) is fetched again and opened: another site
    // must not make OrgSeal save the person's files. (Asked first: what
    // another site starts is never the person's, whatever the answer.)
    const from = details.originUrl ? siteOfUrl(details.originUrl) : true;
    if (!from) {
      refuseDownload(lastSegment(start), 'other-site', `${start}: started by ${originOf(details.originUrl)}, not by the site: stopped, nothing was saved`, details.tabId);
      return { cancel: true };
    }
    // Nothing from a download endpoint reaches the browser's own saving:
    // what is not a plain answer to a GET (an error page, a form post's
    // answer) is stopped with a note.
    if (details.method !== 'GET' || details.statusCode < 200 || details.statusCode >= 300) {
      refuseDownload(lastSegment(start), 'failed', `${start}: the site answered ${details.method} with ${details.statusCode}; nothing was saved`, details.tabId);
      return { cancel: true };
    }
    const name = dispositionName(header(details, 'content-disposition') ?? '') ?? lastSegment(details.url);
    openDownload(start, name, details.tabId).catch((e) => refuseDownload(name, e?.code, `${start}: ${e?.message ?? e}`, details.tabId));
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

// The name a person knows a download by: the browser's name for it, else the
// address's last segment.
function nameOf(filename, url) {
  return (filename ?? '').split(/[\\/]/).pop() || lastSegment(url);
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
      // Any of our Blob URLs, whether or not this service worker made it.
      if (item && isOwnBlob(item.url)) {
        ownDownloads.delete(item.url);
        revokeOpened(item.url);
      }
    });
  });
}

// Where downloads are fetched again and opened: Chromium's offscreen document
// (its service worker cannot make Blob URLs), or, in Firefox, this background
