// @ts-check
// Chromium's offscreen document: runs the opener (opener.js) for the
// background, which is a service worker there and cannot make Blob URLs.
import { openUrl, revoke, cancel } from './opener.js';
import { MSG, ask, serve, fromBackground } from '../lib/messages.js';

const api = globalThis.browser ?? globalThis.chrome;

// Only the background may ask.
api.runtime.onMessage.addListener(
  serve(
    {
      async [MSG.openUrl](msg, sender) {
        if (!fromBackground(sender) || typeof msg.url !== 'string') throw new Error('open-url is for the background');
        const url = msg.url;
        return openUrl(url, {
          beginOpen: (prefix) => ask({ type: MSG.openBegin, prefix }),
          progress: (done, total) => ask({ type: MSG.openProgress, url, done, total }).catch(() => {}),
        });
      },
      async [MSG.openCancel](msg, sender) {
        if (!fromBackground(sender) || typeof msg.url !== 'string') return;
        cancel(msg.url);
      },
      async [MSG.revoke](msg, sender) {
        if (!fromBackground(sender) || typeof msg.url !== 'string') return;
        await revoke(msg.url);
      },
    },
    { target: 'offscreen' },
  ),
);
