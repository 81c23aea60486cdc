// @ts-check
// OrgSeal content script, part 5: the file chooser, opened by OrgSeal.
//
// When a person clicks a file input (or its label, or presses Space on it),
// or the page's own code calls click(), showPicker() or dispatches a click on
// one, the page's input does not open the chooser: OrgSeal opens one for an
// input of its own, which the page never sees, with the same accept /
// multiple / folder settings, and hands the page's input only the sealed
// files. The page's own calls are told by the page hook synchronously, before
// any chooser opens, with primitives the page cannot change; a person's click
// is seen by OrgSeal's listener, which is first on every window the page can
// reach (main.js).
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;

  // Whether a chooser may open now (a person's click or key just happened).
  const activated = () => navigator.userActivation?.isActive ?? true;

  // Made in the input's own document: a person's action there (a popup's,
  // or a frame's) is what lets a chooser open.
  function openOwnChooser(input) {
    const own = (input.ownerDocument ?? document).createElement('input');
    own.type = 'file';
    own.multiple = input.multiple;
    own.accept = input.accept;
    own.webkitdirectory = input.webkitdirectory;
    own.addEventListener('change', () => {
      const files = [...(own.files ?? [])];
      if (!files.length) return;
      S.watchRoot(input);
      S.work(
        files.map((f) => f.name),
        () => S.sealAll(files).then((result) => S.giveInput(input, input.multiple || input.webkitdirectory ? result : result.slice(0, 1))),
      );
    });
    own.addEventListener('cancel', () => S.dispatchOurs(input, new Event('cancel', { bubbles: false })));
    own.click();
  }

  // A person's click (or Space) that would open a file input's chooser.
  function onChooserClick(event) {
    if (S.ours.has(event) || event.defaultPrevented || S.config.mode === 'off') return;
    const first = event.composedPath()[0];
    let input = S.fileInputFor(first);
    // A closed shadow root shows only its host here: the element under the
    // pointer (or the focused one, for a key), found through the root.
    if (!input && S.isElement(first) && S.shadowOf(first) && event.isTrusted) {
      const doc = S.docOf(event);
      input = S.fileInputFor(event.detail === 0 ? S.deepActiveElement(doc) : S.deepElementAt(event.clientX, event.clientY, doc));
    }
    if (!input || input.disabled) return;
    // Untrusted clicks the page makes go through the page hook, which tells
    // OrgSeal first (below); one that gets here anyway opens nothing.
    if (!event.isTrusted && !activated()) return;
    event.preventDefault();
    if (!S.refuseHere()) openOwnChooser(input);
  }

  // The page hook's word, before the page's own click(), showPicker() or
  // dispatched click on a file input opens a chooser: OrgSeal's opens
  // instead, and the hook is told so (preventDefault). The input arrives as
  // relatedTarget, which the browser retargets to its shadow host when the
  // input is inside a shadow root; the hook marks the input while it tells.
  function onPageChooser(event) {
    if (S.config.mode === 'off') return;
    const named = /** @type {any} */ (/** @type {MouseEvent} */ (event).relatedTarget);
    let input = S.isFileInput(named) ? named : null;
    if (!input && S.isElement(named) && S.shadowOf(named)) {
      input = S.deepFileInputs(S.shadowOf(named)).find((i) => i.hasAttribute('data-orgseal-picking')) ?? null;
    }
    // On a protected page the page's own chooser never opens. OrgSeal's
    // opens when the input's window has the person's action (a popup or a
    // frame this instance armed has its own).
    event.preventDefault();
    const view = named?.ownerDocument?.defaultView ?? window;
    if (!(view.navigator?.userActivation?.isActive ?? activated())) return;
    if (!input) {
      S.refuse('no-chooser', [], 'the page asked for a file chooser, and no file input could be told from the event');
      return;
    }
    if (input.disabled || S.refuseHere()) return;
    openOwnChooser(input);
  }

  // Firefox fires a file input's input and change events without `composed`,
  // so from inside a shadow root they never reach the window. Whenever a
  // person acts on the page (a chooser opens only then), every shadow root
  // that holds a file input gets OrgSeal's listeners: at once, and again
  // once the page's own handlers have run (at most every 100 ms). Chromium
  // lets those events out, so there is nothing to do there.
  // (Asked of the element class, not of document.documentElement, which is
  // still null at document_start in some frames.)
  const FIREFOX_EVENTS = 'openOrClosedShadowRoot' in Element.prototype;
  let lastScan = 0;
  function watchAllRoots(event) {
    if (!FIREFOX_EVENTS || !event.isTrusted || S.config.mode === 'off' || performance.now() - lastScan < 100) return;
    lastScan = performance.now();
    const scan = () => {
      for (const input of S.deepFileInputs(document)) S.watchRoot(input);
    };
    scan();
    setTimeout(scan, 0);
    setTimeout(scan, 250);
  }

  // ---- "Attach a sealed file" (the popup's button) ----
  // The page's file field an attach goes to: the focused one (through shadow
  // roots and frames of this origin), or the only one there is.
  function allFileInputs(doc, out = []) {
    S.deepFileInputs(doc, out);
    for (const frame of doc.querySelectorAll('iframe, frame')) {
      try {
        if (frame.contentDocument) allFileInputs(frame.contentDocument, out);
      } catch {
        // another origin: not this page's field
      }
    }
    return out;
  }
  function attachTarget() {
    let el = S.deepActiveElement();
    for (let depth = 0; depth < 8 && /^i?frame$/.test(el?.localName ?? ''); depth++) {
      let doc;
      try {
        doc = el.contentDocument;
      } catch {
        break; // another origin
      }
      if (!doc) break;
      el = S.deepActiveElement(doc);
    }
    const focused = S.fileInputFor(el);
    if (focused) return focused;
    const all = allFileInputs(document);
    return all.length === 1 ? all[0] : null;
  }
  // The attach window (extension/attach/) sends the files the person picked
  // or dropped there over the extension's messaging (never through the
  // page): `attach-target` names the field, `attach-begin`, `-chunk`,
  // `-end` carry the files, which are then sealed like any other and handed
  // to that field only sealed. It works where files handed to the page are
  // refused (a quarantined frame): the plaintext never passed the page.
  let attaching = null; // { input, files: [{ meta, parts }] }
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  S.onAttach = (msg) => {
    const A = /** @type {any} */ (globalThis).ORGSEAL_WORDS.attach;
    if (msg.type === 'attach-target') {
      const answer = S.answer;
      if (answer?.mode !== 'seal') return { ok: false, message: answer?.reason ?? A.notProtected };
      const input = attachTarget();
      if (!input) return { ok: false, message: A.selectField };
      attaching = { input, files: [] };
      const name = input.name || input.id || input.getAttribute('aria-label') || '';
      return { ok: true, label: A.field(name), origin: location.origin };
    }
    if (!attaching) return { ok: false, message: A.reloaded };
    if (msg.type === 'attach-begin' && Array.isArray(msg.files)) {
      attaching.files = msg.files.map((meta) => ({ meta, parts: [] }));
      return { ok: true };
    }
    if (msg.type === 'attach-chunk' && typeof msg.data === 'string' && attaching.files[msg.id]) {
      attaching.files[msg.id].parts.push(fromBase64(msg.data));
      return { ok: true };
    }
    if (msg.type === 'attach-end') {
      const { input } = attaching;
      const got = attaching.files;
      attaching = null;
      const files = got.map(({ meta, parts }) => new File(parts, String(meta.name), { type: String(meta.mime ?? ''), lastModified: Number(meta.lastModified) || Date.now() }));
      if (files.some((f, i) => f.size !== got[i].meta.size)) return { ok: false, message: A.incomplete };
      S.work(
        files.map((f) => f.name),
        () => S.sealAll(files, S.answer).then((sealed) => S.giveInput(input, input.multiple || input.webkitdirectory ? sealed : sealed.slice(0, 1))),
      );
      return { ok: true };
    }
    return { ok: false, message: A.confused };
  };

  // ---- a quarantined document: its file fields are kept disabled ----
  // The page may have listened before OrgSeal there (a click stopper ahead
  // of OrgSeal's chooser, a change reader): a disabled file input opens no
  // chooser and gets no click at all (measured in Chromium), so a person's
  // click there hands the page nothing. Every file input, in shadow roots
  // too, is disabled at once and again after any change the page makes (the
  // observer runs before the next event task). "Attach a sealed file" still
  // fills them.
  let locking = null;
  const watched = new WeakSet();
  const WATCH = { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled', 'type'] };
  function lockNow() {
    for (const input of allFileInputs(document)) {
      if (!input.disabled) input.disabled = true;
      const root = input.getRootNode();
      if (S.isShadowRoot(root) && !watched.has(root)) {
        watched.add(root);
        locking.observe(root, WATCH);
      }
    }
  }
  S.lockFileInputs = () => {
    if (locking) return;
    locking = new MutationObserver(() => lockNow());
    locking.observe(document, WATCH);
    lockNow();
  };

  S.onChooserClick = onChooserClick;
  S.onPageChooser = onPageChooser;
  S.watchAllRoots = watchAllRoots;
})();
