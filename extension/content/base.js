// @ts-check
// OrgSeal content script, part 1: this frame's instance, talking to the
// background, this frame's mode, and the DOM helpers every route uses.
//
// The content script runs at document_start in the isolated world of every
// frame (about:blank, srcdoc and blob: frames included) and acts only where
// the background says the frame belongs to a site the policy names. It is
// six classic scripts that share this world, registered in this order by
// background/inject.js: base, spool, sealer, routes, chooser, main.
// Each adds its part to the instance `S` that base.js makes; main.js starts
// it. The route from a person's action to the sealed file, in one place:
//   main.js: the window's listeners (first in line) → routes.js / chooser.js:
//   which files the person handed over, taken out of the page's reach → sealer.js:
//   sealed in the extension's sealer frame → routes.js: only the sealed files
//   handed to the page.
// Fail closed: while the answer for this frame is unknown, or the background
// cannot be reached, files are held and then refused, never passed on.
// No key ever comes here; plaintext passes through on its way to the frame.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  /** @type {any} */
  const S = { api };
  /** @type {any} */ (globalThis).__orgsealNext = S;

  // ---- talking to the background ----
  const RELOAD = 'OrgSeal was updated or restarted since this page was opened; reload the page';
  S.alive = () => {
    try {
      return Boolean(api.runtime?.id);
    } catch {
      return false;
    }
  };
  S.ask = async (msg) => {
    if (!S.alive()) throw new Error(RELOAD);
    const res = await api.runtime.sendMessage(msg);
    if (!res?.ok) throw new Error(res?.error?.message ?? 'the OrgSeal extension did not answer');
    return res.value;
  };

  // ---- this frame's mode: 'unknown' | 'off' | 'seal' | 'blocked' ----
  S.config = { mode: 'unknown' };
  let configReady = null;
  // Set for good once this document is known to be reachable by the page
  // before OrgSeal listened (main.js): files are refused here.
  S.quarantined = null;
  S.refreshConfig = () => {
    configReady = S.ask({ type: 'site-config', quarantined: S.quarantined ?? undefined }).then(
      (c) => {
        S.answer = c; // the background's word, before any quarantine here
        S.config = S.quarantined && c.mode !== 'off' ? { mode: 'blocked', reason: S.quarantined } : c;
        return S.config;
      },
      (e) => {
        // Fail closed: unless this frame is known not to be a configured site,
        // files are refused while the background cannot be reached.
        if (S.config.mode !== 'off') S.config = { mode: 'blocked', reason: e.message };
        return S.config;
      },
    );
    return configReady;
  };
  // The background's latest answer for this frame (see S.answer).
  S.answered = () => configReady;
  S.currentConfig = async () => {
    if (!S.alive() && S.config.mode !== 'off') return { mode: 'blocked', reason: RELOAD };
    return S.config.mode === 'unknown' ? configReady : S.config;
  };

  // ---- what the person sees ----
  // A refusal: the person reads it on the page (a notice drawn here, which
  // the page could cover) and as a browser notification (the background's,
  // which it cannot), in the plain words of lib/words.js; IT's detail goes
  // to the console and to the popup's details. `code` is one of
  // ORGSEAL_WORDS.upload's reasons.
  // `reason`: why files are blocked here, when the caller knows it better
  // than this frame's last answer (an orphaned script's "reload the page").
  S.refuse = (code, names, detail, reason = S.config.reason) => {
    const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;
    const why = code === 'blocked' ? reason ?? undefined : undefined;
    const person = (W.upload[code] ?? W.upload['seal-failed'])(names, why);
    console.warn(`OrgSeal: ${person} (${detail})`);
    S.ask({ type: 'refused', code, names, why: detail }).catch(() => {});
    S.notice(W.notice(person));
  };
  S.notice = (text) => {
    const host = document.createElement('div');
    const root = host.attachShadow({ mode: 'closed' });
    const box = document.createElement('div');
    box.textContent = text;
    box.setAttribute('role', 'alert');
    box.style.cssText =
      'position:fixed;z-index:2147483647;right:12px;bottom:12px;max-width:420px;padding:10px 14px;' +
      'background:#7a1010;color:#fff;font:14px/1.4 system-ui,sans-serif;border-radius:6px';
    root.appendChild(box);
    (document.documentElement ?? document).appendChild(host);
    setTimeout(() => host.remove(), 15000);
  };

  // ---- DOM helpers ----
  // Events and nodes may come wrapped from another frame's copy of this world
  // (a parent's listener on this window): checks go by name and node type,
  // never by `instanceof` of this realm's classes.
  const kind = (x) => Object.prototype.toString.call(x).slice(8, -1);
  S.kind = kind;
  S.isElement = (x) => x?.nodeType === 1;
  S.isShadowRoot = (x) => x?.nodeType === 11 && kind(x) === 'ShadowRoot';
  S.shadowOf = (el) => {
    try {
      return api.dom?.openOrClosedShadowRoot?.(el) ?? el.openOrClosedShadowRoot ?? el.shadowRoot ?? null;
    } catch {
      return null;
    }
  };
  S.isFileInput = (el) => el?.localName === 'input' && el.type === 'file';
  // The file input a click on `el` opens: the input, or a label's control.
  S.fileInputFor = (el) => {
    if (!S.isElement(el)) return null;
    if (S.isFileInput(el)) return el;
    const label = el.localName === 'label' ? el : el.closest?.('label');
    const control = label?.control;
    return S.isFileInput(control) ? control : null;
  };

  // File inputs in a shadow root, and in the shadow roots nested in it
  // (open or closed).
  S.deepFileInputs = function deepFileInputs(root, out = []) {
    for (const el of root.querySelectorAll('*')) {
      if (S.isFileInput(el)) out.push(el);
      const inner = S.shadowOf(el);
      if (inner) deepFileInputs(inner, out);
    }
    return out;
  };

  // The element at a point, through open and closed shadow roots.
  S.deepElementAt = (x, y, doc = document) => {
    let el = doc.elementFromPoint(x, y);
    for (let root = el && S.shadowOf(el); root; root = el && S.shadowOf(el)) {
      const inner = root.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  };

  S.deepActiveElement = (doc = document) => {
    let el = doc.activeElement;
    for (let root = el && S.shadowOf(el); root?.activeElement; root = S.shadowOf(el)) el = root.activeElement;
    return el;
  };

  // The document an event happened in (this one, or a child window's that
  // this instance armed).
  S.docOf = (event) => event.composedPath()[0]?.ownerDocument ?? event.currentTarget?.document ?? document;

  // The shadow host at the document level that holds `node` (or the node).
  S.outermostHost = (node) => {
    let n = node;
    for (let root = n.getRootNode(); S.isShadowRoot(root); root = n.getRootNode()) n = root.host;
    return n;
  };

  S.dataTransferOf = (files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(f);
    return dt;
  };

  S.ours = new WeakSet(); // events this script dispatched
  S.dispatchOurs = (target, event) => {
    S.ours.add(event);
    target.dispatchEvent(event);
  };

  S.giveInput = (input, files) => {
    input.files = S.dataTransferOf(files).files;
    S.dispatchOurs(input, new Event('input', { bubbles: true, composed: true }));
    S.dispatchOurs(input, new Event('change', { bubbles: true }));
  };
})();
