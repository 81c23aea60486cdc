// @ts-check
// OrgSeal background: the only context that holds the org keys.
//
// It reads the policy from managed storage, answers each content script with
// its site's mode, hands one chunk key per file to the extension's own sealer
// frames and offscreen document, and intercepts downloads from configured
// download endpoints. Every message type has one handler, which checks who
// sent it (by the browser-supplied sender, never by what the message claims).
import { api } from './state.js';
import { serve } from '../lib/messages.js';
import { handlers } from './handlers.js';
import './guard.js';
import './downloads.js';

// An update IT pushes is applied at once, not when the browser next finds the
// extension idle: a fix to the sealing must not wait.
api.runtime.onUpdateAvailable?.addListener(() => api.runtime.reload());

// Tabs open before an install or an update have no content script, or one
// the update orphaned: the current one goes into every frame, in the order
// manifest.json lists its files. A document that had one keeps the first
// place its listeners took at load (content/main.js: trampolines); one that
// had none is quarantined by the new script (the page may have listened
// first) and says to reload. Not on a browser update: the browser restarts
// and every page loads afresh.
api.runtime.onInstalled?.addListener(async ({ reason }) => {
  if (!api.scripting || (reason !== 'install' && reason !== 'update')) return;
  const scripts = /** @type {{ js: string[], world?: 'MAIN' | 'ISOLATED' }[]} */ (api.runtime.getManifest().content_scripts ?? []);
  for (const tab of (await api.tabs.query({ url: ['http://*/*', 'https://*/*'] })) ?? []) {
    const target = { tabId: tab.id, allFrames: true };
    (async () => {
      for (const { js, world } of scripts) {
        await api.scripting.executeScript({ target, files: js, world: world ?? 'ISOLATED', injectImmediately: true });
      }
    })().catch(() => {});
  }
});

api.runtime.onMessage.addListener(serve(handlers));
