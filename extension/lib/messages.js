// @ts-check
// The extension's runtime-message protocol, in one place: the message types,
// the reply envelope, asking, serving, and the checks of who sent a message.
// Holds no secret. (The content script is a classic script and cannot import
// this module; its one `ask` follows the same envelope, see content/base.js.)
//
// A request is `{type, ...fields}`; offscreen requests add `target: 'offscreen'`.
// A reply is `{ok: true, value}` or `{ok: false, error: {code, message}}`.
// Who may send each type (checked by the receiver, from the browser-supplied
// sender, never from the message):
//
// | type             | sender                       | receiver   |
// |------------------|------------------------------|------------|
// | `status`         | popup                        | background |
// | `site-config`    | content script               | background |
// | `sealer-token`   | content script               | background |
// | `refused`        | content script               | background |
// | `seal-end`       | sealer frame (claimed token) | background |
// | `cancel`         | popup, sealer frame          | background |
// | `quarantine`     | content script               | background |
// | `page-drag`      | content script               | background |
// | `sealer-claim`   | sealer frame (token's tab)   | background |
// | `seal-begin`     | sealer frame (claimed token) | background |
// | `open-begin`     | offscreen document           | background |
// | `open-progress`  | offscreen document           | background |
// | `open-url`       | background                   | offscreen  |
// | `revoke`         | background                   | offscreen  |
// | `open-cancel`    | background                   | offscreen  |
// | `opening`        | background                   | content (top frame) |
// | `cancel-seals`   | background                   | content    |
// | `policy-changed` | background                   | content    |
// | `attach-*`       | the attach window (extension/attach/) | content (top frame) |

const api = globalThis.browser ?? globalThis.chrome;

/** Every runtime message type. */
export const MSG = Object.freeze({
  status: 'status',
  siteConfig: 'site-config',
  sealerToken: 'sealer-token',
  refused: 'refused',
  sealEnd: 'seal-end',
  cancel: 'cancel',
  openCancel: 'open-cancel',
  opening: 'opening',
  cancelSeals: 'cancel-seals',
  quarantine: 'quarantine',
  pageDrag: 'page-drag',
  sealerClaim: 'sealer-claim',
  sealBegin: 'seal-begin',
  openBegin: 'open-begin',
  openProgress: 'open-progress',
  openUrl: 'open-url',
  revoke: 'revoke',
  policyChanged: 'policy-changed',
});

/** An error with a stable `code` (docs/FORMAT.md §8 lists the codes). */
export class CodedError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'CodedError';
    this.code = code;
  }
}

/**
 * Sends a request and returns the reply's value; a refusal throws a
 * CodedError that keeps the receiver's code.
 * @param {{ type: string, [field: string]: unknown }} msg
 */
export async function ask(msg) {
  const res = await api.runtime.sendMessage(msg);
  if (!res?.ok) throw new CodedError(res?.error?.code ?? 'no-answer', res?.error?.message ?? `nothing answered ${msg.type}`);
  return res.value;
}

/**
 * The runtime.onMessage listener for a table of handlers, one per type. A
 * handler returns a promise of the reply's value, or throws (its `code`, if
 * any, is kept). Requests of other types, or not meant for `target`, are left
 * to other listeners.
 * @param {Record<string, (msg: any, sender: chrome.runtime.MessageSender) => Promise<unknown>>} handlers
 * @param {{ target?: string }} [only] serve only requests whose `target` is this (none: no target)
 */
export function serve(handlers, only = {}) {
  return (/** @type {any} */ msg, /** @type {chrome.runtime.MessageSender} */ sender, /** @type {(r: unknown) => void} */ sendResponse) => {
    if (!msg || typeof msg.type !== 'string' || msg.target !== only.target) return false;
    const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
    if (!handler) return false;
    Promise.resolve()
      .then(() => handler(msg, sender))
      .then(
        (value) => sendResponse({ ok: true, value }),
        (e) => sendResponse({ ok: false, error: { code: e?.code ?? 'error', message: String(e?.message ?? e) } }),
      );
    return true;
  };
}

/**
 * A page of this extension under `path` (popup, sealer frame, offscreen document).
 * @param {chrome.runtime.MessageSender} sender
 * @param {string} path
 */
export const fromExtensionPage = (sender, path) =>
  sender.id === api.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(api.runtime.getURL(path));

/**
 * This extension's content script in a web page.
 * @param {chrome.runtime.MessageSender} sender
 */
export const fromContentScript = (sender) =>
  Boolean(sender.tab) && sender.id === api.runtime.id && !sender.url?.startsWith(api.runtime.getURL(''));

/**
 * This extension's background (its service worker or event page): no tab,
 * and a URL in extension/background/.
 * @param {chrome.runtime.MessageSender} sender
 */
export const fromBackground = (sender) =>
  sender.id === api.runtime.id && !sender.tab && typeof sender.url === 'string' && sender.url.startsWith(api.runtime.getURL('extension/background/'));
