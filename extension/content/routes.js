// @ts-check
// OrgSeal content script, part 4: the routes by which a person hands the
// page files in events: a file input the browser filled, a drop, a paste;
// and the clicks and submits that wait while files are sealed.
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;
  const unsealedFiles = (input) => [...(input.files ?? [])].filter((f) => !S.sealedFiles.has(f));
  let dragFromPage = false;

  // ---- file inputs ----
  // Only the exact input the browser filled is ever sealed. At the window,
  // an input inside a closed shadow root shows up as its host, so which input
  // it was is not known there: every file input in that host's tree is
  // emptied at once (their files kept aside), and a listener added right then
  // to each of their shadow roots, which the same event reaches next and
  // where the exact input is visible, seals that one input's files. When the
  // event's real target is not a file input (a checkbox beside a file input
  // the page filled), nothing is sealed and the person is told: files the page
  // put in inputs are never sealed (no sealing oracle).
  const heldInputs = new WeakSet();
  let pendingHost = null; // {event, stash: Map(input → files)} while a host event is in flight

  function holdAndSeal(event, input, files) {
    event.stopImmediatePropagation();
    heldInputs.add(input);
    S.watchRoot(input);
    input.value = '';
    S.work(
      files.map((f) => f.name),
      () =>
        S.sealAll(files)
          .then((result) => S.giveInput(input, result))
          .catch((e) => {
            input.value = '';
            throw e;
          })
          .finally(() => heldInputs.delete(input)),
    );
  }

  function onFileEvent(event) {
    if (S.ours.has(event)) return;
    const first = event.composedPath()[0] ?? event.target;
    if (S.isFileInput(first)) {
      const pending = pendingHost?.event === event ? pendingHost : null;
      const files = pending ? (pending.stash.get(first) ?? []) : unsealedFiles(first);
      if (pending) pending.handled = true;
      if (!files.length) {
        // The trusted 'change' that follows the 'input' being held.
        if (heldInputs.has(first)) event.stopImmediatePropagation();
        return;
      }
      // Files the page put there itself are the page's own: never sealed.
      if (!event.isTrusted || S.config.mode === 'off') return;
      holdAndSeal(event, first, files);
      return;
    }
    // An event retargeted to a shadow host (the input is in a closed root).
    if (!event.isTrusted || S.config.mode === 'off' || !S.isElement(first) || !S.shadowOf(first)) return;
    if (S.kind(event) === 'InputEvent') return; // typing, not a file choice
    const stash = new Map();
    for (const input of S.deepFileInputs(S.shadowOf(first))) {
      const files = unsealedFiles(input);
      if (!files.length) continue;
      stash.set(input, files);
      input.value = '';
      S.watchRoot(input);
    }
    if (!stash.size) return;
    const pending = (pendingHost = { event, stash, handled: false });
    setTimeout(() => {
      if (pendingHost === pending) pendingHost = null;
      if (!pending.handled) {
        const names = [...stash.values()].flat().map((f) => f.name);
        S.refuse('no-target', names, 'no file input inside the page\'s component could be told apart as the one that received them');
      }
    });
  }

  // ---- drops ----
  // Reads a dropped folder entry into Files (flattened: the page gets each
  // file sealed, without the folder structure).
  async function readEntry(entry, out) {
    if (entry.isFile) {
      out.push(await new Promise((ok, fail) => entry.file(ok, fail)));
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) return;
      for (const e of batch) await readEntry(e, out);
    }
  }

  function onDrop(event) {
    if (S.ours.has(event) || !event.isTrusted) return;
    const dt = event.dataTransfer;
    if (!dt?.types.includes('Files') || S.config.mode === 'off') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (dragFromPage) {
      // Files dragged out of this page itself are the page's bytes: not
      // sealed, and not passed on either.
      dragFromPage = false;
      S.refuse('page-drag', [...dt.files].map((f) => f.name), 'the drag started in this page itself');
      return;
    }
    // Entries must be taken while the event runs.
    const entries = [...dt.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.() ?? null);
    const files = [...dt.files];
    const target = S.deepElementAt(event.clientX, event.clientY, S.docOf(event)) ?? event.composedPath()[0];
    const init = { bubbles: true, cancelable: true, composed: true, clientX: event.clientX, clientY: event.clientY };
    S.work(
      files.map((f) => f.name),
      async () => {
        // A drag that started in a page (another frame or window of the
        // site too, which this frame's own flag cannot see) carries the
        // page's bytes: never sealed, never passed on.
        if (await S.ask({ type: 'page-drag' })) {
          throw Object.assign(new Error('a drag from a web page (another frame or window) was in flight'), { code: 'page-drag' });
        }
        const all = [];
        for (const [i, entry] of entries.entries()) {
          if (entry?.isDirectory) await readEntry(entry, all);
          else all.push(files[i]);
        }
        const sealed = await S.sealAll(all);
        if (S.isFileInput(target) && !target.disabled) S.giveInput(target, target.multiple ? sealed : sealed.slice(0, 1));
        else S.dispatchOurs(target, new DragEvent('drop', { ...init, dataTransfer: S.dataTransferOf(sealed) }));
      },
    );
  }

  // ---- paste ----
  function onPaste(event) {
    if (S.ours.has(event) || !event.isTrusted) return;
    const data = event.clipboardData;
    const files = [...(data?.files ?? [])];
    if (!files.length || S.config.mode === 'off') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    // Only the files go on (the re-dispatched event carries nothing else):
    // the text flavours of a file copy or an office copy carry paths, names or
    // the content itself.
    const target = S.deepActiveElement(S.docOf(event)) ?? event.composedPath()[0];
    S.work(
      files.map((f) => f.name),
      async () => {
        const sealed = await S.sealAll(files);
        const init = { bubbles: true, cancelable: true, composed: true, clipboardData: S.dataTransferOf(sealed) };
        S.dispatchOurs(target, new ClipboardEvent('paste', init));
      },
    );
  }

  // ---- hold submits and clicks while sealing ----
  function onSubmit(event) {
    if (!S.busy() || S.ours.has(event)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const form = event.target;
    const submitter = event.submitter;
    S.hold(form, () => form.requestSubmit(submitter && submitter.form === form ? submitter : undefined));
  }
  function onClick(event) {
    if (!S.busy() || !event.isTrusted) return;
    const first = event.composedPath()[0];
    const el = S.isElement(first) ? first.closest('button, input[type=submit], input[type=button], a[href], [role=button]') : null;
    if (!el) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    // SVG elements (<a href>, role=button) have no click(): dispatch one.
    const replay = () =>
      typeof el.click === 'function' ? el.click() : el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, composed: true }));
    S.hold(el, replay);
  }

  S.on = {
    input: onFileEvent,
    change: onFileEvent,
    drop: onDrop,
    paste: onPaste,
    submit: onSubmit,
    click: onClick,
    // A person's drag out of a page: this frame remembers it, and so does the
    // background, for drops in other frames and windows.
    dragstart: (e) => {
      if (!e.isTrusted) return;
      dragFromPage = true;
      S.ask({ type: 'page-drag', active: true }).catch(() => {});
    },
    dragend: (e) => {
      if (!e.isTrusted) return;
      dragFromPage = false;
      S.ask({ type: 'page-drag', active: false }).catch(() => {});
    },
    pointerdown: (e) => (dragFromPage = e.isTrusted ? false : dragFromPage),
  };
})();
