// @ts-check
// OrgSeal page hook: runs in the page's own world (MAIN) at document_start,
// before any script of the page, in every frame. It holds no secret and sees
// no file. It tells the isolated content script, synchronously, of what the
// page does that the content script could otherwise only see too late:
//
// 1. The page's own `click()`, `showPicker()` or dispatched click on a file
//    input or its label, attached to the document or not: the content script
//    is told before any chooser opens and opens OrgSeal's own chooser; then
//    the page's chooser never opens (nothing reaches the page's input but
//    the sealed files).
// 2. A window of this page's origin that the page could reach before
//    OrgSeal's script runs in it. A frame's initial about:blank window is
//    kept by the same-origin document that loads next, with every listener
//    the page put on it, and its realm has prototypes no hook has touched
//    yet. So before the page gets any handle on such a window (the frame
//    element's contentWindow/contentDocument, window.open's answer, or a new
//    entry of window.length after a DOM insertion), the content script puts
//    its listeners on it first, and this hook is installed in its realm.
// 3. `document.open()` erases every listener of the document it opens and of
//    that document's window: the content script of that document is told
//    through the document's FontFaceSet (which the erasure leaves alone), and
//    listens again before the caller's next statement.
//
// Every primitive the hook calls is taken before any page script runs, and
// called with Reflect.apply: a page that changes prototypes later
// (`isConnected`, `dispatchEvent`, `closest`, ...) does not change what the
// hook does. What the page can still do against it is deny itself an upload,
// never get a file: README "Honest limits" and docs/ARCHITECTURE.md §6.
(() => {
  const { apply } = Reflect;
  const describe = Object.getOwnPropertyDescriptor;
  const define = Object.defineProperty;
  const weak = () => {
    const set = new WeakSet();
    const has = WeakSet.prototype.has;
    const add = WeakSet.prototype.add;
    return { has: (x) => apply(has, set, [x]), add: (x) => apply(add, set, [x]) };
  };
  const getter = (proto, name) => describe(proto, name)?.get;
  const P = {
    localName: getter(Element.prototype, 'localName'),
    inputType: getter(HTMLInputElement.prototype, 'type'),
    control: getter(HTMLLabelElement.prototype, 'control'),
    closest: Element.prototype.closest,
    dispatch: EventTarget.prototype.dispatchEvent,
    setAttribute: Element.prototype.setAttribute,
    removeAttribute: Element.prototype.removeAttribute,
    fnSource: Function.prototype.toString,
    listen: EventTarget.prototype.addEventListener,
    eventType: getter(Event.prototype, 'type'),
    related: getter(MouseEvent.prototype, 'relatedTarget'),
    fonts: getter(Document.prototype, 'fonts'),
    defaultView: getter(Document.prototype, 'defaultView'),
    frameCount: (describe(window, 'length') ?? describe(Window.prototype, 'length'))?.get,
    MouseEvent,
    Event,
  };
  const ours = weak(); // the wrappers this hook put in place, in any realm
  const armed = weak(); // windows already handed to the content script

  // The content script's detached element, handed over once, through this
  // document's FontFaceSet: a new document has a new one, on which the page
  // cannot have listened before its first script. The hook and the content
  // script start at document_start in either order, so each side says so.
  let anchor = null;
  const fonts = apply(P.fonts, document, []);
  const take = (event) => {
    if (anchor) return;
    anchor = apply(P.related, event, []);
    // The content script's word that a window needs this hook (a frame the
    // parser made, seen by its mutation observer before the next script).
    if (anchor) apply(P.listen, anchor, ['orgseal-install', (e) => arm(apply(P.related, e, [])), true]);
  };
  if (fonts) {
    apply(P.listen, fonts, ['orgseal-anchor', take, { once: true }]);
    apply(P.dispatch, fonts, [new P.Event('orgseal-hook')]);
  }
  // Tells the content script; false when it took the matter over (then the
  // page's own call does not go on). An input
  // inside a shadow root reaches it as its shadow host (the browser
  // retargets relatedTarget), so the input carries a mark while it is told.
  const MARK = 'data-orgseal-picking';
  function tell(type, target) {
    // No content script to tell (it never started, or the handover was
    // lost): the page's own chooser does not open either.
    if (!anchor) return false;
    const marked = type === 'orgseal-file-click' || type === 'orgseal-show-picker';
    if (marked) apply(P.setAttribute, target, [MARK, '']);
    try {
      return apply(P.dispatch, anchor, [new P.MouseEvent(type, { cancelable: true, relatedTarget: target })]);
    } finally {
      if (marked) apply(P.removeAttribute, target, [MARK]);
    }
  }

  const nameOf = (el) => {
    try {
      return apply(P.localName, el, []);
    } catch {
      return null; // not an element
    }
  };
  const isFileInput = (el) => nameOf(el) === 'input' && apply(P.inputType, el, []) === 'file';
  const NOT_FORWARDED = new Set(['button', 'input', 'select', 'textarea', 'a']);
  // The file input a click on `el` opens: the input itself, or the control of
  // the label `el` is (or sits in).
  function fileInputFor(el) {
    const name = nameOf(el);
    if (name === null) return null;
    if (isFileInput(el)) return el;
    if (name !== 'label' && NOT_FORWARDED.has(name)) return null;
    const label = name === 'label' ? el : apply(P.closest, el, ['label']);
    const control = label ? apply(P.control, label, []) : null;
    return isFileInput(control) ? control : null;
  }

  // Descriptors without a prototype: a page that put `get` or `value` on
  // Object.prototype must not change what they say.
  const replaceMethod = (proto, name, make) => {
    const d = describe(proto, name);
    if (typeof d?.value !== 'function' || ours.has(d.value)) return;
    const value = make(d.value);
    ours.add(value);
    define(proto, name, /** @type {PropertyDescriptor} */ ({ __proto__: null, value, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable }));
  };
  const replaceAccessor = (proto, name, makeGet, makeSet) => {
    const d = describe(proto, name);
    if (!d || (!d.get && !d.set) || ours.has(d.get) || ours.has(d.set)) return;
    const get = d.get && makeGet ? makeGet(d.get) : d.get;
    const set = d.set && makeSet ? makeSet(d.set) : d.set;
    if (get) ours.add(get);
    if (set) ours.add(set);
    define(proto, name, /** @type {PropertyDescriptor} */ ({ __proto__: null, get, set, enumerable: d.enumerable, configurable: d.configurable }));
  };

  // A window the page can reach: the content script listens there first, and
  // this hook goes into its realm. A window of another origin is left alone
  // (the page cannot listen on it).
  function arm(win) {
    if (!win || armed.has(win)) return false;
    try {
      void win.document; // throws for another origin
    } catch {
      return false;
    }
    armed.add(win);
    try {
      return install(win);
    } finally {
      tell('orgseal-arm', win);
    }
  }
  // Arms the frames of `win` that are new. A frame whose realm no hook had
  // reached yet (its src still loading: Chromium runs no content script in
  // that first about:blank) is the one the page could reach first. Page
  // code can run inside an
  // insertion, before it returns and so before this: a custom element's
  // connectedCallback, an inserted script, an about:blank frame's load
  // handler, a written script. When a frame appeared in a call that could run
  // such code (`could()`), the page may have reached that frame's window
  // first: the content script is told, and quarantines this document.
  const armFrames = (win, could = () => false) => {
    const n = P.frameCount ? apply(P.frameCount, win, []) : 0;
    const fresh = [];
    for (let i = 0; i < n; i++) if (arm(win[i])) fresh[fresh.length] = win[i];
    if (fresh.length && could()) for (let i = 0; i < fresh.length; i++) tell('orgseal-reached-first', fresh[i]);
  };
  const CODE_IN_HTML = /<script|<[a-z][^\s/>]*-|\son[a-z]+\s*=/i;
  const CODE_NODES = 'script, iframe:not([src]), frame:not([src])';
  const querySel = Element.prototype.querySelector;
  const querySelAll = Element.prototype.querySelectorAll;
  const fragQuerySel = DocumentFragment.prototype.querySelector;
  const fragQuerySelAll = DocumentFragment.prototype.querySelectorAll;
  const hasAttr = Element.prototype.hasAttribute;
  // Whether inserting these (nodes or HTML text) could run the page's code.
  function couldRunCode(items) {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'string') {
        if (CODE_IN_HTML.test(item)) return true;
        continue;
      }
      const name = nameOf(item);
      if (name !== null) {
        if (name === 'script' || name.includes('-') || ((name === 'iframe' || name === 'frame') && !apply(hasAttr, item, ['src']))) return true;
        if (apply(querySel, item, [CODE_NODES])) return true;
        const all = apply(querySelAll, item, ['*']);
        for (let j = 0; j < all.length; j++) if (nameOf(all[j]).includes('-')) return true;
      } else {
        try {
          if (apply(fragQuerySel, item, [CODE_NODES])) return true;
          const all = apply(fragQuerySelAll, item, ['*']);
          for (let j = 0; j < all.length; j++) if (nameOf(all[j]).includes('-')) return true;
        } catch {
          // a text node: no code
        }
      }
    }
    return false;
  }

  // Puts the hook into the realm of `win` (this one, or a child window's,
  // before the page gets a handle on it).
  function install(win) {
    const W = /** @type {any} */ (win);
    // A realm the hook is in already (a frame's about:blank gets its own
    // copy as it is made): nothing to do. Nothing else changes prototypes
    // before the page has a handle on the window.
    const click = describe(W.HTMLElement.prototype, 'click')?.value;
    if (typeof click !== 'function' || !apply(P.fnSource, click, []).includes('[native code]')) return false;
    // 1. click(), showPicker() and dispatched clicks on a file input.
    const takeClick = (el) => {
      const input = fileInputFor(el);
      return input !== null && tell('orgseal-file-click', input) === false;
    };
    replaceMethod(W.HTMLElement.prototype, 'click', (original) => ({
      click() {
        if (takeClick(this)) return undefined;
        return apply(original, this, arguments);
      },
    }).click);
    replaceMethod(W.HTMLInputElement.prototype, 'showPicker', (original) => ({
      showPicker() {
        if (isFileInput(this) && tell('orgseal-show-picker', this) === false) return undefined;
        return apply(original, this, arguments);
      },
    }).showPicker);
    replaceMethod(W.EventTarget.prototype, 'dispatchEvent', (original) => ({
      dispatchEvent(event) {
        if (apply(P.eventType, event, []) === 'click' && takeClick(this)) return true;
        return apply(original, this, arguments);
      },
    }).dispatchEvent);

    // 2. Every way to a child window of this realm.
    const frameClasses = [W.HTMLIFrameElement, W.HTMLFrameElement, W.HTMLObjectElement].filter(Boolean);
    for (const C of frameClasses) {
      const contentWindow = getter(C.prototype, 'contentWindow');
      replaceAccessor(C.prototype, 'contentWindow', (get) =>
        describe({ get contentWindow() { const w = apply(get, this, []); arm(w); return w; } }, 'contentWindow').get,
      );
      replaceAccessor(C.prototype, 'contentDocument', (get) =>
        describe({ get contentDocument() { if (contentWindow) arm(apply(contentWindow, this, [])); return apply(get, this, []); } }, 'contentDocument').get,
      );
    }
    for (const C of [W.HTMLIFrameElement, W.HTMLObjectElement, W.HTMLEmbedElement].filter(Boolean)) {
      replaceMethod(C.prototype, 'getSVGDocument', (original) => ({
        getSVGDocument() {
          const d = apply(original, this, arguments);
          if (d) arm(apply(P.defaultView, d, []));
          return d;
        },
      }).getSVGDocument);
    }
    const openHolder = describe(win, 'open') ? win : W.Window?.prototype;
    if (openHolder) {
      replaceMethod(openHolder, 'open', (original) => ({
        open() {
          const w = apply(original, this, arguments);
          arm(w);
          return w;
        },
      }).open);
    }
    // A frame added to the document is counted in window.length (and
    // reachable as window[i]) as soon as the insertion returns.
    const afterInsert = (original, name) =>
      ({
        [name]() {
          const result = apply(original, this, arguments);
          const args = arguments;
          armFrames(win, () => couldRunCode(args));
          return result;
        },
      })[name];
    const inserting = [
      [W.Node?.prototype, ['appendChild', 'insertBefore', 'replaceChild']],
      [W.Element?.prototype, ['append', 'prepend', 'before', 'after', 'replaceWith', 'replaceChildren', 'insertAdjacentElement', 'insertAdjacentHTML', 'setHTMLUnsafe', 'setHTML', 'moveBefore']],
      [W.DocumentFragment?.prototype, ['append', 'prepend', 'replaceChildren', 'moveBefore']],
      [W.ShadowRoot?.prototype, ['setHTMLUnsafe', 'setHTML']],
      [W.Document?.prototype, ['append', 'prepend', 'replaceChildren', 'execCommand', 'moveBefore']],
      [W.CharacterData?.prototype, ['before', 'after', 'replaceWith']],
      [W.DocumentType?.prototype, ['before', 'after', 'replaceWith']],
      [W.Range?.prototype, ['insertNode', 'surroundContents']],
    ];
    for (const [proto, names] of inserting) {
      if (proto) for (const name of names) replaceMethod(proto, name, (original) => afterInsert(original, name));
    }
    const afterSet = (set) =>
      describe(
        {
          set value(v) {
            apply(set, this, [v]);
            armFrames(win, () => couldRunCode([v]));
          },
        },
        'value',
      ).set;
    for (const [proto, names] of [
      [W.Element?.prototype, ['innerHTML', 'outerHTML']],
      [W.ShadowRoot?.prototype, ['innerHTML']],
      [W.Document?.prototype, ['body']],
      [W.HTMLTableElement?.prototype, ['caption', 'tHead', 'tFoot']],
    ]) {
      if (proto) for (const name of names) replaceAccessor(proto, name, null, afterSet);
    }

    // 3. document.open() and the write() that implies it. Three arguments
    // make it window.open().
    const reopened = (original, name) =>
      ({
        [name]() {
          const result = apply(original, this, arguments);
          if (name === 'open' && arguments.length >= 3) {
            arm(result);
            return result;
          }
          const doc = this;
          // Its own content script, through the document's FontFaceSet...
          try {
            apply(P.dispatch, apply(P.fonts, doc, []), [new P.Event('orgseal-reopened')]);
          } catch {
            // a document without fonts (XML): its window has no content script to tell
          }
          // ...and this realm's, which listens again on a window it armed.
          tell('orgseal-reopened', doc);
          const args = arguments;
          armFrames(win, () => couldRunCode(args));
          return result;
        },
      })[name];
    for (const name of ['open', 'write', 'writeln']) replaceMethod(W.Document.prototype, name, (original) => reopened(original, name));
    return true;
  }

  armed.add(window);
  install(window);
})();
