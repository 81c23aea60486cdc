// @ts-check
// OrgSeal background: the only context that holds the org keys.
//
// It reads the policy from managed storage, answers each content script with
// its site's mode, hands one chunk key per file to the extension's own sealer
// frames and offscreen document, and intercepts downloads from configured
// download endpoints. Every message type has one handler, which checks who
// sent it (by the browser-supplied sender, never by what the message claims).
import { api, ready } from './state.js';
import { note } from './events.js';
import { registerContentScripts, injectIntoOpenTabs } from './inject.js';
import { serve } from '../lib/messages.js';
import { handlers } from './handlers.js';
import './guard.js';
import './downloads.js';

// An update IT pushes is applied at once, not when the browser next finds the
// extension idle: a fix to the sealing must not wait.
api.runtime.onUpdateAvailable?.addListener(() => api.runtime.reload());

// The content scripts follow the policy's sites (background/inject.js).
const follow = () => ready.then(() => registerContentScripts()).catch((e) => note('content scripts', `OrgSeal could not register its content scripts: ${e?.message ?? e}`));
follow();
api.storage.onChanged.addListener((_changes, area) => {
  if (area !== 'managed') return;
  follow().then(() => injectIntoOpenTabs());
});

// Tabs open before an install or an update have no content script, or one
// the update orphaned: the current one goes into every frame of the tabs on
// protected sites, marked late. A document that had one keeps the first place
// its listeners took at load (content/main.js: trampolines) where the browser
// gives the new script the same world; elsewhere the new script cannot be
// first and quarantines the page, which says to reload. Not on a browser
// update: the browser restarts and every page loads afresh.
api.runtime.onInstalled?.addListener(async ({ reason }) => {
  if (reason !== 'install' && reason !== 'update') return;
  await follow();
  await injectIntoOpenTabs();
});

api.runtime.onMessage.addListener(serve(handlers));
