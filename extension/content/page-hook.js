// @ts-check
// OrgSeal page hook: runs in the page's own world (MAIN), at document_start,
// before any script of the page. It holds no secret and sees no file: it only
// makes two page shapes visible to the isolated content script, which does all
// the sealing.
//
// 1. A file input that is never attached to the document (upload libraries
//    often do `document.createElement('input'); i.type = 'file'; i.click()`):
//    its events have no path to the window, where the content script listens.
//    Before such an input (or a label for it) opens the file chooser, its
//    detached tree is attached to a hidden holder, so its events pass through
//    the window like any other.
// 2. The page's own `click()` or `showPicker()` on a file input: the content
//    script is told first (which input, or its shadow host) and opens its
//    own chooser instead of the page's.
// 3. `document.open()` (also implied by `document.write()` on a closed
//    document) erases every listener on the document and its window, the
//    content script's included. Right after it returns, the hook tells the
//    content script synchronously, which listens again before the page's next
//    statement runs.
//
// This world is the page's: a page that works against the hook can undo it
// (for instance by calling `click` from a fresh realm it made itself). The hook
// is for pages that are not trying; README lists what stays uncovered.
(() => {
  let anchor = null; // the content script's detached element, handed over once
  window.addEventListener(
    'orgseal-anchor',
    (event) => {
      anchor ??= /** @type {MouseEvent} */ (event).relatedTarget; // the content script's MouseEvent
    },
    { once: true, capture: true },
  );

  const fileInput = (el) => {
    if (!(el instanceof Element)) return null;
    if (el.localName === 'input' && /** @type {HTMLInputElement} */ (el).type === 'file') return el;
    if (el.localName === 'label') {
      const control = /** @type {HTMLLabelElement} */ (el).control;
      if (control?.localName === 'input' && /** @type {HTMLInputElement} */ (control).type === 'file') return control;
    }
    return null;
  };

  let holder = null;
  function attach(el) {
    const input = fileInput(el);
    if (!input || input.isConnected) return;
    const top = input.getRootNode({ composed: true });
    if (!holder?.isConnected) {
      holder = document.createElement('div');
      holder.hidden = true;
      holder.setAttribute('data-orgseal-holder', '');
      (document.body ?? document.documentElement)?.append(holder);
    }
    if (!holder.isConnected) return;
    holder.append(top instanceof Element ? top : input);
  }

  const wrap = (proto, name, before, after) => {
    const original = proto[name];
    if (typeof original !== 'function') return;
    const replacement = {
      [name](...args) {
        before?.(this, args);
        const result = Reflect.apply(original, this, args);
        after?.(this, args);
        return result;
      },
    }[name];
    Object.defineProperty(proto, name, { ...Object.getOwnPropertyDescriptor(proto, name), value: replacement });
  };

  // The page's own click() on a file input: the content script is told which
  // (it cannot tell from the click event when the input is in a closed root).
  const tell = (type, el) => anchor?.dispatchEvent(new MouseEvent(type, { cancelable: true, relatedTarget: el }));
  wrap(HTMLElement.prototype, 'click', (el) => {
    attach(el);
    if (fileInput(el) === el) tell('orgseal-file-click', el);
  });
  // showPicker() opens a chooser without a click event: the content script is
  // told first, and when it opens its own chooser instead, the page's is not.
  const original = HTMLInputElement.prototype.showPicker;
  if (typeof original === 'function') {
    Object.defineProperty(HTMLInputElement.prototype, 'showPicker', {
      ...Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'showPicker'),
      value: {
        /** @this {HTMLInputElement} */
        showPicker() {
          attach(this);
          if (anchor && fileInput(this) === this && tell('orgseal-show-picker', this) === false) return undefined;
          return Reflect.apply(original, this, []);
        },
      }.showPicker,
    });
  }
  wrap(EventTarget.prototype, 'dispatchEvent', (target, [event]) => {
    if (event?.type === 'click') attach(target);
  });

  const reopened = () => anchor?.dispatchEvent(new Event('orgseal-reopened'));
  wrap(Document.prototype, 'open', null, reopened);
  wrap(Document.prototype, 'write', null, reopened);
  wrap(Document.prototype, 'writeln', null, reopened);
})();
