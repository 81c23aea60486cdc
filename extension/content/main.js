// @ts-check
// OrgSeal content script, part 6: listening first, and starting.
//
// Everything OrgSeal catches in events depends on its listener running
// before any of the page's. So:
// - Its listeners on a window are trampolines, registered once and never
//   removed: each looks up the current OrgSeal instance of that window when
//   an event comes. An extension update that injects a new instance into an
//   open tab (background/inject.js) keeps the first place in line.
// - A window of this page's origin that the page could reach before
//   OrgSeal's script ran there (a frame's or popup's initial about:blank,
//   kept by the same-origin document that loads next, with the page's
//   listeners on it) gets this instance's trampolines first, before the page
//   has a handle on it: the page hook tells of every handle it hands out,
//   and this script's mutation observer of frames the parser adds (it runs
//   before the next script of the page).
// - `document.open()` erases the window's listeners: the page hook says so
//   synchronously and they are put back before the caller's next statement.
// Where OrgSeal finds the page may have been first after all (a same-origin
// window nobody armed, listeners erased without the hook's word, a script
// injected after the page loaded), this document is quarantined: files are
// refused here, the toolbar badge shows "!" and the popup says why.
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;
  const G = /** @type {any} */ (globalThis);
  delete G.__orgsealNext;
  const previous = G.__orgseal;
  // Injected again beside a live instance (the browser's own injection won
  // the race): that one goes on.
  if (previous && previous !== S && previous.alive()) return;
  G.__orgseal = S;

  // ---- what each event does ----
  const handlers = {
    input: (e) => S.on.input(e),
    change: (e) => S.on.change(e),
    drop: (e) => S.on.drop(e),
    paste: (e) => S.on.paste(e),
    submit: (e) => S.on.submit(e),
    click: (e) => {
      S.on.click(e);
      S.onChooserClick(e);
    },
    dragstart: (e) => S.on.dragstart(e),
    dragend: (e) => S.on.dragend(e),
    pointerdown: (e) => {
      S.on.pointerdown(e);
      S.watchAllRoots(e);
    },
    keydown: (e) => S.watchAllRoots(e),
    // Sealed files spooled for this document go with it (not when it only
    // moves to the back/forward cache: it may come back and upload them).
    pagehide: (e) => {
      if (e.isTrusted && !e.persisted) S.removeSpooled();
    },
    // Back from the back/forward cache: the policy may have changed meanwhile,
    // and the badge was reset when the tab moved on.
    pageshow: (e) => {
      if (e.isTrusted && e.persisted) S.refreshConfig();
    },
  };
  // An event reaches each place once, but an instance may find two of its
  // trampolines on one window (put back after an erasure it raced with).
  const handledAt = new WeakMap();
  S.handle = (type, event) => {
    const at = handledAt.get(event) ?? new Set();
    if (at.has(event.currentTarget)) return;
    at.add(event.currentTarget);
    handledAt.set(event, at);
    handlers[type]?.(event);
  };

  // Events in a child window this instance armed (see above): the routes
  // that carry files are handled here, first; the rest by that window's own
  // instance.
  const CHILD_ROUTES = { input: handlers.input, change: handlers.change, drop: handlers.drop, paste: handlers.paste, click: (e) => S.onChooserClick(e) };
  S.handleChild = (type, event) => {
    if (S.config.mode !== 'off') CHILD_ROUTES[type]?.(event);
  };

  // ---- trampolines ----
  const TYPES = [...Object.keys(handlers), 'orgseal-ping'];
  const HEARD = '__orgsealHeard'; // set on a ping by OrgSeal's trampolines (this world only)
  // Firefox gives each frame's content script its own view of an event, so a
  // mark set by the parent's trampoline is not seen in the child: there the
  // ping is cancelled instead.
  const XRAYS = typeof (/** @type {any} */ (globalThis).exportFunction) === 'function';
  function trampoline(win, type) {
    return (event) => {
      if (type === 'orgseal-ping') {
        event[HEARD] = true;
        if (XRAYS) event.preventDefault();
        return;
      }
      const instance = G.__orgseal;
      if (!instance) return;
      if (win === window) instance.handle(type, event);
      else instance.handleChild(type, event);
    };
  }
  function installOn(win) {
    for (const type of TYPES) win.addEventListener(type, trampoline(win, type), true);
  }
  // Whether OrgSeal's listeners are on `win` (erased by document.open()).
  function listening(win = window) {
    const ping = new Event('orgseal-ping', { cancelable: true });
    win.dispatchEvent(ping);
    return ping[HEARD] === true || (XRAYS && ping.defaultPrevented);
  }

  // Inside shadow roots, for the events that never leave them (`change` is
  // not composed; in Firefox neither is `input`).
  const watchedRoots = new WeakSet();
  S.watchRoot = (node) => {
    const root = node.getRootNode();
    if (!S.isShadowRoot(root) || watchedRoots.has(root)) return;
    watchedRoots.add(root);
    for (const type of ['input', 'change']) root.addEventListener(type, trampoline(window, type), true);
  };

  // ---- windows the page can reach ----
  const armedWindows = new WeakSet();
  function armWindow(win, again = false) {
    if (!win || win === window || (armedWindows.has(win) && !again)) return;
    armedWindows.add(win);
    try {
      void win.document; // another origin: the page cannot listen there
    } catch {
      return;
    }
    installOn(win);
    // The page hook goes into that window's realm too.
    anchor().dispatchEvent(new MouseEvent('orgseal-install', { relatedTarget: win }));
  }
  function armFrames() {
    for (let i = 0; i < window.length; i++) armWindow(window[i]);
  }

  // ---- quarantine ----
  S.quarantine = (reason) => {
    if (S.quarantined) return;
    S.quarantined = reason;
    if (S.config.mode !== 'off') S.config = { mode: 'blocked', reason };
    S.ask({ type: 'quarantine', reason }).catch(() => {});
    // Known to be a protected page (the background answers): its file
    // fields stay disabled from now on.
    S.answered()?.then(() => S.answer?.mode && S.answer.mode !== 'off' && S.lockFileInputs(), () => {});
  };
  S.refuseHere = () => {
    if (S.config.mode !== 'blocked') return false;
    S.refuse('blocked', [], `the file chooser was not opened: ${S.config.reason ?? 'files are blocked on this page'}`);
    return true;
  };
  const REACHED = 'this page ran its own code while adding a frame, before OrgSeal could listen there, so the page may read files first; reload the page, or use "Attach a sealed file" in the OrgSeal menu';
  const AHEAD = 'this part of the page could be reached by the page before OrgSeal ran in it, so the page may read files first; reload the page, or use "Attach a sealed file" in the OrgSeal menu';
  // A document in a window of its parent's (or opener's) origin, which the
  // page could reach before this script ran, must have been armed. (Not an
  // about:blank document: it is the window's first, the one the page reaches;
  // its listeners come from the arming or go with it.)
  function reachableBeforeUs() {
    if (location.href === 'about:blank' || self.origin === 'null') return false;
    const mine = (w) => {
      try {
        return Boolean(w && w !== window && w.document);
      } catch {
        return false;
      }
    };
    if (!(mine(window.parent) || mine(window.opener))) return false;
    // A window the parent (or opener) armed and whose listeners are gone is
    // a new one: a later navigation of that frame, which no page script can
    // reach before this one runs. Only the first window is kept.
    const armedBy = (w) => {
      try {
        return Boolean(w?.__orgseal?.wasArmed?.(window));
      } catch {
        return false;
      }
    };
    return !(armedBy(window.parent) || armedBy(window.opener));
  }

  // ---- what the page hook and the mutation observer say ----
  // Once per document (an update's new instance finds them in place): each
  // routes to the current instance.
  function anchor() {
    if (!G.__orgsealAnchor) {
      const el = (G.__orgsealAnchor = document.createElement('orgseal-anchor'));
      // Capture listeners, registered first, that end the event: a page that
      // got hold of the anchor can neither run before them nor see them.
      const route = (fn) => (e) => {
        e.stopImmediatePropagation?.();
        fn(G.__orgseal, e);
      };
      const on = (type, fn) => el.addEventListener(type, route(fn), true);
      on('orgseal-file-click', (s, e) => s.onPageChooser(e));
      on('orgseal-show-picker', (s, e) => s.onPageChooser(e));
      on('orgseal-arm', (s, e) => s.armWindow(e.relatedTarget));
      on('orgseal-reopened', (s, e) => s.reopened(e.relatedTarget));
      on('orgseal-reached-first', (s, e) => s.reachedFirst(e.relatedTarget));
      // Handed to the page hook through this document's FontFaceSet (see
      // there); the hook may start after this script: it says so, once.
      const fonts = document.fonts;
      const handOver = () => fonts?.dispatchEvent(new MouseEvent('orgseal-anchor', { relatedTarget: el }));
      fonts?.addEventListener('orgseal-hook', handOver, { once: true });
      handOver();
      // The hook's word when a page opens this document from another realm.
      fonts?.addEventListener('orgseal-reopened', (e) => {
        e.stopImmediatePropagation();
        G.__orgseal?.reopened(document);
      });
      new MutationObserver((records) => G.__orgseal?.mutated(records)).observe(document, { childList: true, subtree: true });
      // A prerendered page shown: its policy and badge as they are now.
      document.addEventListener('prerenderingchange', (e) => e.isTrusted && G.__orgseal?.refreshConfig());
    }
    return G.__orgsealAnchor;
  }
  S.armWindow = armWindow;
  /** Whether this instance armed `win` (a child window it put listeners on). */
  S.wasArmed = (win) => armedWindows.has(win);
  // The page hook's word that page code ran while `win` (a new frame) was
  // added, before it was armed: this document and that frame's are
  // quarantined (the frame's now if its OrgSeal runs, else when it starts).
  const reached = new WeakSet();
  S.reachedFirst = (win) => {
    S.quarantine(REACHED);
    if (!win) return;
    reached.add(win);
    try {
      win.__orgseal?.quarantine?.(REACHED);
    } catch {
      // another origin by now: its own OrgSeal starts afresh there
    }
  };
  S.wasReached = (win) => reached.has(win);
  // document.open() of this document (listen again at once) or of a child's
  // (its window loses this instance's listeners too).
  S.reopened = (doc) => {
    if (doc === document) {
      if (!listening()) {
        installOn(window);
        S.forgetSealer();
      }
    } else if (doc?.defaultView) armWindow(doc.defaultView, true);
  };
  S.mutated = (records) => {
    armFrames();
    if (!records.some((r) => r.target === document) || listening()) return;
    // Erased without the hook's word: the page may have listened first.
    installOn(window);
    S.forgetSealer();
    S.quarantine('this page erased OrgSeal\'s listeners in a way OrgSeal could not follow, so the page may read files first; reload the page');
  };

  // ---- start ----
  // OrgSeal's listeners already here: an older instance's, or the parent's
  // that armed this window before the page could reach it.
  const armed = listening();
  const early = !armed && reachableBeforeUs();
  // Injected by the background as the frame committed (a frame of another
  // origin in a protected tab, a tab a protected tab opened), or after the
  // page had loaded: the page's scripts may have listened first.
  const reachedHere = (() => {
    try {
      return [window.parent, window.opener].some((w) => w && w !== window && w.__orgseal?.wasReached?.(window));
    } catch {
      return false;
    }
  })();
  const injectedLate = !armed && ((G.__orgsealLate === true && location.href !== 'about:blank') || (document.readyState !== 'loading' && location.href !== 'about:blank'));
  if (!armed) installOn(window);
  anchor();
  armFrames();
  S.refreshConfig();
  try {
    const ATTACH_PAGE = S.api.runtime.getURL('extension/attach/');
    S.api.runtime.onMessage.addListener((msg, sender, respond) => {
      if (sender.id !== S.api.runtime.id) return;
      if (msg?.type === 'policy-changed') S.refreshConfig();
      // From the background only (no tab, no page of its own in a tab):
      // a download of this site being opened, and the popup's Cancel.
      const fromBackground = !sender.tab && !String(sender.url ?? '').startsWith(ATTACH_PAGE);
      if (msg?.type === 'opening' && fromBackground) S.showOpening(msg);
      if (msg?.type === 'cancel-seals' && fromBackground) S.cancelSeals();
      // Only OrgSeal's own attach window, and only in the top frame.
      if (String(msg?.type).startsWith('attach-') && window === window.top && String(sender.url).startsWith(ATTACH_PAGE)) respond(S.onAttach(msg));
    });
  } catch {
    // Extension context already gone: the 'blocked' answer stands.
  }
  if (reachedHere) S.quarantine(REACHED);
  else if (early) S.quarantine(AHEAD);
  else if (injectedLate) S.quarantine('OrgSeal went into this part of the page only after it had started, so the page may read files first; use "Attach a sealed file", or reload the page if OrgSeal was just installed or updated');
  S.warmSealer();
})();
