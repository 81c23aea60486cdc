// @ts-check
// OrgSeal content script: runs at document_start in the isolated world of
// every frame (about:blank, srcdoc and blob: frames included), and acts only
// where the background says the frame belongs to a site the policy names.
//
// There it catches, in the capture phase on the window and before any page
// listener, every way a person hands the page a file:
// - a file picked in an <input type=file> (also inside open or closed shadow
//   roots, and inputs never attached to the document, which the page hook
//   attaches first), folder inputs included;
// - files or folders dropped on the page or on a file input;
// - files pasted into the page.
// It takes the files out of the page's reach at once, has the extension's
// sealer frame seal them, and hands the page only the sealed files, in the
// same input or in a re-dispatched event. Only a person's actions are sealed:
// events the page makes (`isTrusted === false`) are never sealed, so the page
// cannot use the extension to seal bytes of its own choosing.
// Fail closed: while the answer for this frame is unknown, or the background
// cannot be reached, files are held and then refused, never passed on.
// No key ever comes here; plaintext passes through on its way to the frame.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;

  // An older copy left behind by an extension update (same isolated world)
  // steps aside for this one.
  globalThis.__orgsealRetire?.();
  const registered = []; // [target, type, listener]
  function listen(target, type, fn) {
    target.addEventListener(type, fn, true);
    registered.push([target, type, fn]);
  }
  globalThis.__orgsealRetire = () => {
    for (const [target, type, fn] of registered.splice(0)) target.removeEventListener(type, fn, true);
    observer?.disconnect();
  };

  const ours = new WeakSet(); // events this script dispatched
  const sealedFiles = new WeakSet(); // File objects the sealer made
  const watchedRoots = new WeakSet(); // shadow roots with our listeners
  let config = { mode: 'unknown' }; // 'unknown' | 'off' | 'seal' | 'blocked'
  let configReady = null;
  let busy = 0;
  const held = [];
  let dragFromPage = false;
  let nextId = 1;

  // ---- talking to the background ----
  const alive = () => {
    try {
      return Boolean(api.runtime?.id);
    } catch {
      return false;
    }
  };
  async function ask(msg) {
    if (!alive()) throw new Error('OrgSeal was updated or restarted since this page was opened; reload the page');
    const res = await api.runtime.sendMessage(msg);
    if (!res?.ok) throw new Error(res?.error?.message ?? 'the OrgSeal extension did not answer');
    return res.value;
  }

  function refreshConfig() {
    configReady = ask({ type: 'site-config' }).then(
      (c) => (config = c),
      (e) => {
        // Fail closed: unless this frame is known not to be a configured site,
        // files are refused while the background cannot be reached.
        if (config.mode !== 'off') config = { mode: 'blocked', reason: e.message };
        return config;
      },
    );
    return configReady;
  }
  refreshConfig();
  try {
    api.runtime.onMessage.addListener((msg, sender) => {
      if (sender.id === api.runtime.id && msg?.type === 'policy-changed') refreshConfig();
    });
  } catch {
    // Extension context already gone: the 'blocked' answer above stands.
  }

  async function currentConfig() {
    if (!alive() && config.mode !== 'off') {
      return { mode: 'blocked', reason: 'OrgSeal was updated or restarted since this page was opened; reload the page' };
    }
    return config.mode === 'unknown' ? configReady : config;
  }

  // ---- the sealer frame ----
  let sealer = null; // promise of {frame, port, calls}

  function startFrame(sealerUrl, token) {
    const frame = document.createElement('iframe');
    frame.src = sealerUrl;
    frame.setAttribute('aria-hidden', 'true');
    frame.tabIndex = -1;
    frame.style.cssText = 'display:none !important';
    const started = new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('the OrgSeal sealer did not start within 15 s; reload the page')), 15000);
      frame.addEventListener(
        'load',
        () => {
          const channel = new MessageChannel();
          const calls = new Map();
          channel.port1.onmessage = ({ data }) => {
            if (data?.type === 'ready') return resolve({ frame, port: channel.port1, calls });
            if (data?.type === 'refused') return reject(new Error(data.message));
            const call = calls.get(data?.id);
            if (!call) return;
            if (data.type === 'progress') return call.progress();
            if (data.type === 'part') return call.part(data.bytes, data.total);
            calls.delete(data.id);
            if (data.type === 'sealed' && (data.file instanceof File || data.streamed === true)) call.ok(data);
            else call.fail(Object.assign(new Error(data.message ?? 'sealing failed'), { code: data.code }));
          };
          frame.contentWindow.postMessage({ type: 'orgseal-connect', token }, new URL(sealerUrl).origin, [channel.port2]);
          // Loaded again (the page moved or reloaded the frame): its port is
          // dead, so the frame goes and the next seal starts a new one.
          frame.addEventListener('load', () => frame.remove(), { once: true });
        },
        { once: true },
      );
      // On the root element, not <body>: pages replace <body> (Turbo, SPA mounts).
      (document.documentElement ?? document).appendChild(frame);
    });
    started.catch(() => frame.remove());
    return started;
  }

  // On a protected page the top frame starts its sealer once the page has
  // loaded, so that the first file a person picks does not wait for it.
  function warmSealer() {
    if (window !== window.top || self.origin === 'null') return;
    const start = () =>
      currentConfig().then((cfg) => {
        if (cfg.mode !== 'seal') return;
        openSealer(cfg).catch(() => {});
        sweepSpool();
      });
    if (document.readyState === 'complete') setTimeout(start, 0);
    else addEventListener('load', () => setTimeout(start, 0), { once: true });
  }

  async function openSealer(cfg) {
    if (sealer) {
      const s = await sealer.catch(() => null);
      if (s?.frame.isConnected) return s;
      // The page removed the frame (or replaced the document): start afresh.
      for (const call of s?.calls.values() ?? []) call.fail(new Error('the page removed OrgSeal\'s sealer; try again'));
      sealer = null;
    }
    sealer = ask({ type: 'sealer-token' }).then(({ token }) => startFrame(cfg.sealerUrl, token));
    sealer.catch(() => (sealer = null));
    return sealer;
  }

  // ---- where a large sealed file waits for the page's upload ----
  // A sealed file of SPOOL_FROM bytes or more is written, window by window as
  // the sealer makes it, into this page origin's private file system (OPFS),
  // and the page gets a File backed by that file on disk: the browser's memory
  // does not grow with the file. (The sealer frame cannot keep it in its own:
  // Chromium denies storage to an extension frame inside a web page.) Only
  // sealed bytes are written, which the page receives anyway; the page can
  // read, change or delete them, which only breaks its own upload.
  // Each spool file is held under a Web Lock of the same name for as long as
  // its document lives; the browser lets go of the lock when the document
  // goes. Files with no holder are removed: when this document goes (if the
  // browser still runs the removal), and else by the next protected page of
  // the same site that starts.
  const SPOOL_FROM = 64 << 20;
  const SPOOL_DIR = 'orgseal-sealed';
  const spooled = new Map(); // name → lets go of its lock
  let spoolDirHandle = null;
  let swept = false;
  const lockName = (name) => `${SPOOL_DIR}/${name}`;
  // Not in Firefox: there the content script sits behind Xray wrappers, and
  // the page's lock manager fails every request it makes ("Permission denied
  // to access property then", even for a callback that returns nothing), so
  // a spool file could be neither held nor swept. Firefox keeps large sealed
  // files as Blobs, as before.
  const XRAYS = typeof (/** @type {any} */ (globalThis).exportFunction) === 'function';
  const canSpool = () => !XRAYS && Boolean(navigator.storage?.getDirectory && navigator.locks?.request) && self.origin !== 'null';
  async function spoolDir() {
    const root = await navigator.storage.getDirectory();
    spoolDirHandle ??= await root.getDirectoryHandle(SPOOL_DIR, { create: true });
    return spoolDirHandle;
  }
  // Removes spool files whose document is gone (nobody holds their lock),
  // once per document: the top frame when a protected page has loaded, any
  // other frame when it first spools.
  function sweepSpool() {
    if (swept || !canSpool()) return;
    swept = true;
    sweepLeftovers().catch(() => {});
  }
  async function sweepLeftovers() {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(SPOOL_DIR).catch(() => null);
    if (!dir) return;
    // @ts-ignore: keys() is an async iterator on FileSystemDirectoryHandle
    for await (const name of dir.keys()) {
      // A file being written shows up as `<name>.crswap` too (Chromium's swap
      // file): it goes with `<name>`'s lock.
      const base = name.replace(/\.crswap$/, '');
      if (spooled.has(base)) continue;
      // Nobody holds the lock: its document is gone, and no new one takes
      // an old name, so the lock need not be kept while the file goes.
      let free = false;
      await navigator.locks.request(lockName(base), { ifAvailable: true }, (lock) => {
        free = Boolean(lock);
      });
      if (free) await dir.removeEntry(name).catch(() => {});
    }
  }
  function removeSpooled() {
    // Called as the document goes: each removal starts at once, no await first.
    for (const [name, unlock] of spooled) {
      spoolDirHandle?.removeEntry(name).catch(() => {});
      unlock();
    }
    spooled.clear();
  }
  // Holds the lock for a new spool file `name` until the returned function is called.
  async function holdLock(name) {
    let release = () => {};
    await new Promise((granted, refused) => {
      navigator.locks
        .request(lockName(name), () => {
          granted(undefined);
          return new Promise((r) => (release = () => r(undefined)));
        })
        .catch(refused);
    });
    return release;
  }
  const writeError = (e) =>
    new Error(`the sealed file could not be written to this site's storage on disk (${e?.message ?? e}); free some disk space and try again`);
  // A spool file for one sealed file, or null where this origin has none
  // (the sealed file is then assembled in memory, as for small files).
  async function openSpool() {
    if (!canSpool()) return null;
    let dir, handle, writable, name;
    sweepSpool();
    try {
      dir = await spoolDir();
      name = `${Date.now()}-${[...crypto.getRandomValues(new Uint32Array(2))].join('')}`;
      spooled.set(name, await holdLock(name));
      handle = await dir.getFileHandle(name, { create: true });
      writable = await handle.createWritable();
    } catch (e) {
      if (name) {
        dir?.removeEntry(name).catch(() => {});
        spooled.get(name)?.();
        spooled.delete(name);
      }
      console.info(`OrgSeal: no disk space of this site to hold a large sealed file (${e?.message ?? e}); it is kept in memory`);
      return null;
    }
    let chain = Promise.resolve();
    /** @type {any} */
    let failed = null;
    let written = 0;
    return {
      // Writes in order; a failed write fails the seal (see finish). `total`,
      // with the first part, reserves the file's length at once (much faster
      // than growing it write by write); a reserve that the writes do not
      // fill shows in the file's size, which the caller checks.
      write(bytes, total, then) {
        chain = chain.then(async () => {
          try {
            if (!failed && total !== undefined) await writable.truncate(total);
            if (!failed) await writable.write(bytes);
            written += bytes.length;
            // Each write leaves garbage the engine does not count (the browser's
            // copy of the bytes on their way to disk), so nothing prompts a
            // collection and this page's memory grew with the file: +518 MiB
            // sealing 4 GiB. A short-lived array of the engine's own, one per
            // write, makes it collect as it goes: +89 MiB, whatever the size.
            new Uint8Array(bytes.length)[0] = 1;
          } catch (e) {
            failed = e;
          }
          then(failed);
        });
      },
      async finish(expected) {
        await chain;
        if (failed) throw writeError(failed);
        if (written !== expected) {
          throw new Error(`the OrgSeal sealer sent ${written} of ${expected} sealed bytes; nothing was attached, try again`);
        }
        await writable.close();
        return handle.getFile();
      },
      async discard() {
        await chain.catch(() => {});
        await writable.abort().catch(() => {});
        await dir.removeEntry(name).catch(() => {});
        spooled.get(name)?.();
        spooled.delete(name);
      },
    };
  }

  // A seal fails if the sealer goes quiet for this long (it reports progress
  // every few MiB), or if its frame is removed.
  const QUIET_MS = 30000;

  async function sealFile(cfg, file) {
    const s = await openSealer(cfg);
    const spool = file.size >= SPOOL_FROM ? await openSpool() : null;
    const id = nextId++;
    try {
      const done = await new Promise((ok, fail) => {
        let timer;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(check, 1000);
        };
        let quietSince = Date.now();
        const check = () => {
          if (!s.frame.isConnected) return done(fail, new Error('the page removed OrgSeal\'s sealer; try again'));
          if (Date.now() - quietSince > QUIET_MS) return done(fail, new Error('sealing stopped answering for 30 s; try again'));
          arm();
        };
        const done = (f, v) => {
          clearTimeout(timer);
          s.calls.delete(id);
          // Giving up on a streamed seal (silence, a failed write, a removed
          // frame) stops the sealer too: it would wait for acks forever.
          if (f === fail && spool) s.port.postMessage({ type: 'cancel', id });
          f(v);
        };
        s.calls.set(id, {
          ok: (v) => done(ok, v),
          fail: (e) => done(fail, e),
          progress: () => (quietSince = Date.now()),
          // A window of sealed bytes for the spool; the sealer sends the next
          // few only once earlier ones are written (its memory stays bounded).
          part: (bytes, total) => {
            quietSince = Date.now();
            // (Not `instanceof`: in Firefox the array comes from the page's realm.)
            const isBytes = Object.prototype.toString.call(bytes) === '[object Uint8Array]';
            if (!spool || !isBytes) return done(fail, new Error('the OrgSeal sealer sent a part nobody asked for'));
            spool.write(bytes, Number.isSafeInteger(total) ? total : undefined, (failed) => {
              // A slow disk is not silence; a failed write ends the seal now.
              quietSince = Date.now();
              if (failed) done(fail, writeError(failed));
              else s.port.postMessage({ type: 'ack', id });
            });
          },
        });
        arm();
        s.port.postMessage({ type: 'seal', id, file, stream: Boolean(spool) });
      });
      if (done.file instanceof File) {
        if (spool) await spool.discard();
        return done.file;
      }
      if (!spool) throw new Error('the OrgSeal sealer sent no file');
      const onDisk = await spool.finish(Number(done.size));
      if (onDisk.size !== Number(done.size)) {
        throw new Error(`the sealed file in this site's storage has ${onDisk.size} bytes where ${done.size} were written (did the page change it?); try again`);
      }
      // A File made from the disk-backed one: the page's upload reads it from
      // disk, and it carries the sealed name, not the spool file's.
      return new File([onDisk], String(done.name), { type: 'application/octet-stream', lastModified: Number(done.lastModified) });
    } catch (e) {
      await spool?.discard();
      throw e;
    }
  }

  // Seals every file, or throws. On a site that is not configured, hands the
  // files back as they are (only reached when the answer came late).
  async function sealAll(files) {
    const cfg = await currentConfig();
    if (cfg.mode === 'off') return files;
    if (cfg.mode !== 'seal') throw new Error(cfg.reason ?? 'OrgSeal cannot seal files here');
    // A sandboxed document (opaque origin) passes its sandbox on to every frame
    // in it, the sealer's too, where the extension cannot run.
    if (self.origin === 'null') {
      throw new Error('this page runs in a sandbox (an opaque origin), where OrgSeal cannot seal files; nothing was attached');
    }
    const out = [];
    for (const f of files) {
      const sealed = await sealFile(cfg, f);
      sealedFiles.add(sealed);
      out.push(sealed);
    }
    ask({ type: 'sealed', count: out.length, bytes: files.reduce((n, f) => n + f.size, 0) }).catch(() => {});
    return out;
  }

  // ---- what the person sees ----
  function notice(text) {
    console.warn(text);
    ask({ type: 'refused', why: text }).catch(() => {});
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
  }

  // The sealer frame doubles as the progress overlay: once sealing has taken
  // a second, it is shown (file name, percent, speed, Cancel). It is another
  // origin, so the page can neither read nor change what it shows (it can
  // hide or cover the frame element, which only stops its own upload).
  const OVERLAY =
    'display:block !important;position:fixed !important;right:12px !important;bottom:12px !important;' +
    'width:360px !important;height:104px !important;border:0 !important;margin:0 !important;padding:0 !important;' +
    'z-index:2147483647 !important;border-radius:8px !important;box-shadow:0 2px 12px rgba(0,0,0,.3) !important;' +
    'opacity:1 !important;visibility:visible !important;transform:none !important;pointer-events:auto !important';
  let overlayTimer = null;
  function overlay(show) {
    clearTimeout(overlayTimer);
    const apply = (on) =>
      sealer?.then((s) => {
        s.frame.style.cssText = on ? OVERLAY : 'display:none !important';
        s.frame.setAttribute('aria-hidden', on ? 'false' : 'true');
        s.frame.tabIndex = on ? 0 : -1;
      }, () => {});
    if (show) overlayTimer = setTimeout(() => busy > 0 && apply(true), 1000);
    else apply(false);
  }

  // Runs one sealing job; clicks and submits wait until every job is done.
  // A job the person cancelled drops what was held: nothing is sent.
  let cancelled = false;
  function work(names, job) {
    if (busy++ === 0) overlay(true);
    job()
      .catch((e) => {
        if (e?.code === 'cancelled') {
          cancelled = true;
          console.info(`OrgSeal: sealing ${names.join(', ')} was cancelled; nothing was attached or sent`);
        } else notice(`OrgSeal did not hand ${names.join(', ')} to this page: ${e.message}`);
      })
      .finally(() => {
        if (--busy > 0) return;
        overlay(false);
        if (cancelled) {
          cancelled = false;
          held.splice(0);
          return;
        }
        // Each held element once, in order: a person clicking again and
        // again while waiting means one action.
        const seen = new Set();
        for (const [key, action] of held.splice(0)) {
          if (seen.has(key)) continue;
          seen.add(key);
          try {
            action();
          } catch (e) {
            console.warn(`OrgSeal could not replay a held action: ${e?.message ?? e}`);
          }
        }
      });
  }

  const shadowOf = (el) => {
    try {
      return api.dom?.openOrClosedShadowRoot?.(el) ?? el.openOrClosedShadowRoot ?? el.shadowRoot ?? null;
    } catch {
      return null;
    }
  };
  const isFileInput = (el) => el?.localName === 'input' && el.type === 'file';
  const unsealedFiles = (input) => [...(input.files ?? [])].filter((f) => !sealedFiles.has(f));

  // File inputs in a shadow root, and in the shadow roots nested in it
  // (open or closed).
  function deepFileInputs(root, out = []) {
    for (const el of root.querySelectorAll('*')) {
      if (isFileInput(el)) out.push(el);
      const inner = shadowOf(el);
      if (inner) deepFileInputs(inner, out);
    }
    return out;
  }

  // The element at a point, through open and closed shadow roots.
  function deepElementAt(x, y) {
    let el = document.elementFromPoint(x, y);
    for (let root = el && shadowOf(el); root; root = el && shadowOf(el)) {
      const inner = root.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  }

  function deepActiveElement() {
    let el = document.activeElement;
    for (let root = el && shadowOf(el); root?.activeElement; root = shadowOf(el)) el = root.activeElement;
    return el;
  }

  // Listeners inside a shadow root, for the events that never leave it
  // (`change` is not composed).
  function watchRoot(node) {
    const root = node.getRootNode();
    if (!(root instanceof ShadowRoot) || watchedRoots.has(root)) return;
    watchedRoots.add(root);
    for (const type of ['input', 'change']) listen(root, type, onFileEvent);
  }

  function dataTransferOf(files) {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(f);
    return dt;
  }

  function dispatchOurs(target, event) {
    ours.add(event);
    target.dispatchEvent(event);
  }

  function giveInput(input, files) {
    input.files = dataTransferOf(files).files;
    dispatchOurs(input, new Event('input', { bubbles: true, composed: true }));
    dispatchOurs(input, new Event('change', { bubbles: true }));
  }

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
    watchRoot(input);
    input.value = '';
    work(
      files.map((f) => f.name),
      () =>
        sealAll(files)
          .then((result) => giveInput(input, result))
          .catch((e) => {
            input.value = '';
            throw e;
          })
          .finally(() => heldInputs.delete(input)),
    );
  }

  function onFileEvent(event) {
    if (ours.has(event)) return;
    const first = event.composedPath()[0] ?? event.target;
    if (isFileInput(first)) {
      const pending = pendingHost?.event === event ? pendingHost : null;
      const files = pending ? (pending.stash.get(first) ?? []) : unsealedFiles(first);
      if (pending) pending.handled = true;
      if (!files.length) {
        // The trusted 'change' that follows the 'input' being held.
        if (heldInputs.has(first)) event.stopImmediatePropagation();
        return;
      }
      // Files the page put there itself are the page's own: never sealed.
      if (!event.isTrusted || config.mode === 'off') return;
      holdAndSeal(event, first, files);
      return;
    }
    // An event retargeted to a shadow host (the input is in a closed root).
    if (!event.isTrusted || config.mode === 'off' || !(first instanceof Element) || !shadowOf(first)) return;
    if (event instanceof InputEvent) return; // typing, not a file choice
    const stash = new Map();
    for (const input of deepFileInputs(shadowOf(first))) {
      const files = unsealedFiles(input);
      if (!files.length) continue;
      stash.set(input, files);
      input.value = '';
      watchRoot(input);
    }
    if (!stash.size) return;
    const pending = (pendingHost = { event, stash, handled: false });
    setTimeout(() => {
      if (pendingHost === pending) pendingHost = null;
      if (!pending.handled) {
        const names = [...stash.values()].flat().map((f) => f.name);
        notice(`OrgSeal did not hand ${names.join(', ')} to this page: it could not tell which file input inside this page's component received them; nothing was attached, try again`);
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
    if (ours.has(event) || !event.isTrusted) return;
    const dt = event.dataTransfer;
    if (!dt?.types.includes('Files') || config.mode === 'off') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (dragFromPage) {
      // Files dragged out of this page itself are the page's bytes: not
      // sealed, and not passed on either.
      dragFromPage = false;
      notice('OrgSeal did not hand the dropped files to this page: they were dragged from the page itself; drop files from your computer');
      return;
    }
    // Entries must be taken while the event runs.
    const entries = [...dt.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.() ?? null);
    const files = [...dt.files];
    const target = deepElementAt(event.clientX, event.clientY) ?? event.composedPath()[0];
    const init = { bubbles: true, cancelable: true, composed: true, clientX: event.clientX, clientY: event.clientY };
    work(
      files.map((f) => f.name),
      async () => {
        const all = [];
        for (const [i, entry] of entries.entries()) {
          if (entry?.isDirectory) await readEntry(entry, all);
          else all.push(files[i]);
        }
        const sealed = await sealAll(all);
        if (isFileInput(target) && !target.disabled) giveInput(target, target.multiple ? sealed : sealed.slice(0, 1));
        else dispatchOurs(target, new DragEvent('drop', { ...init, dataTransfer: dataTransferOf(sealed) }));
      },
    );
  }

  // ---- paste ----
  function onPaste(event) {
    if (ours.has(event) || !event.isTrusted) return;
    const data = event.clipboardData;
    const files = [...(data?.files ?? [])];
    if (!files.length || config.mode === 'off') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    // Only the files go on (the re-dispatched event carries nothing else):
    // the text flavours of a file copy or an office copy carry paths, names or
    // the content itself.
    const target = deepActiveElement() ?? event.composedPath()[0];
    work(
      files.map((f) => f.name),
      async () => {
        const sealed = await sealAll(files);
        const init = { bubbles: true, cancelable: true, composed: true, clipboardData: dataTransferOf(sealed) };
        dispatchOurs(target, new ClipboardEvent('paste', init));
      },
    );
  }

  // ---- hold submits and clicks while sealing ----
  function onSubmit(event) {
    if (!busy || ours.has(event)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const form = event.target;
    const submitter = event.submitter;
    held.push([form, () => form.requestSubmit(submitter && submitter.form === form ? submitter : undefined)]);
  }
  function onClick(event) {
    if (!busy || !event.isTrusted) return;
    const first = event.composedPath()[0];
    const el = first instanceof Element ? first.closest('button, input[type=submit], input[type=button], a[href], [role=button]') : null;
    if (!el) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    // SVG elements (<a href>, role=button) have no click(): dispatch one.
    const replay = () =>
      el instanceof HTMLElement ? el.click() : el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, composed: true }));
    held.push([el, replay]);
  }

  // ---- the file chooser, opened by OrgSeal ----
  // When a person clicks a file input (or its label, or presses Space on it)
  // on a protected page, the page's input does not open the chooser: OrgSeal
  // opens one for an input of its own, which the page never sees, with the
  // same accept/multiple/folder settings, and hands the page's input only the
  // sealed files. So the plaintext never sits in an element the page holds,
  // whatever listeners the page put where (a reused window, an input it takes
  // out of the document once the chooser is open). Inputs the page clicks from
  // its own code still open their own chooser; the events above catch those.
  function onChooserClick(event) {
    if (ours.has(event) || event.defaultPrevented || config.mode === 'off') return;
    const first = event.composedPath()[0];
    let input = isFileInput(first) ? first : null;
    // The page hook's word that this click is the page's own click() on a
    // file input (it names the input, or its shadow host when inside one).
    const told = pageFileClick;
    pageFileClick = null;
    if (!input && first instanceof Element && shadowOf(first)) {
      if (event.isTrusted) {
        const deep = event.detail === 0 ? deepActiveElement() : deepElementAt(event.clientX, event.clientY);
        if (isFileInput(deep)) input = deep;
      } else if (told && outermostHost(told) === first) {
        // The page's own click() on a file input inside a closed component:
        // that input when the hook could name it (Firefox), else the only
        // file input there (the browser retargeted it to the host), or the
        // chooser does not open.
        const inside = isFileInput(told) ? [told] : deepFileInputs(shadowOf(first));
        if (inside.length !== 1) {
          event.preventDefault();
          notice('OrgSeal did not open the file chooser: this page\'s component holds several file inputs and OrgSeal could not tell which one it meant; nothing was attached');
          return;
        }
        input = inside[0];
      }
    }
    if (!input || input.disabled) return;
    // A click the page makes itself (input.click() behind its own button)
    // opens a chooser only right after a person's action; OrgSeal's chooser
    // takes its place, so the page's input never holds what the person picks.
    // (In Firefox this matters most: a file input's events there never
    // leave its shadow root.)
    if (!event.isTrusted && !activated()) return;
    event.preventDefault();
    openOwnChooser(input);
  }

  // The shadow host at the document level that holds `node` (or the node).
  function outermostHost(node) {
    let n = node;
    for (let root = n.getRootNode(); root instanceof ShadowRoot; root = n.getRootNode()) n = root.host;
    return n;
  }

  // Whether a chooser may open now (a person's click or key just happened).
  const activated = () => navigator.userActivation?.isActive ?? true;

  function openOwnChooser(input) {
    const own = document.createElement('input');
    own.type = 'file';
    own.multiple = input.multiple;
    own.accept = input.accept;
    own.webkitdirectory = input.webkitdirectory;
    own.addEventListener('change', () => {
      const files = [...(own.files ?? [])];
      if (!files.length) return;
      watchRoot(input);
      work(
        files.map((f) => f.name),
        () => sealAll(files).then((result) => giveInput(input, input.multiple || input.webkitdirectory ? result : result.slice(0, 1))),
      );
    });
    own.addEventListener('cancel', () => dispatchOurs(input, new Event('cancel', { bubbles: false })));
    own.click();
  }

  // The page's showPicker() on a file input, told by the page hook before the
  // picker opens: OrgSeal's chooser opens instead, and the hook is told so.
  // The input arrives as relatedTarget, which the browser retargets to its
  // shadow host when the input is inside a shadow root: then it is the only
  // file input there, or no chooser opens at all.
  function onShowPicker(event) {
    if (config.mode === 'off') return;
    const named = /** @type {MouseEvent} */ (event).relatedTarget;
    event.preventDefault(); // on a protected page the page's own picker never opens
    let input = isFileInput(named) ? named : null;
    if (!input && named instanceof Element && shadowOf(named)) {
      const inside = deepFileInputs(shadowOf(named));
      if (inside.length === 1) input = inside[0];
    }
    if (!input) {
      notice('OrgSeal did not open the file chooser: it could not tell which file input this page meant; nothing was attached');
      return;
    }
    if (/** @type {HTMLInputElement} */ (input).disabled) return;
    openOwnChooser(input);
  }

  // The page hook's word, just before the page's own click() on a file input.
  let pageFileClick = null;
  function onPageFileClick(event) {
    pageFileClick = /** @type {MouseEvent} */ (event).relatedTarget;
    setTimeout(() => (pageFileClick = null));
  }

  // Firefox fires a file input's input and change events without `composed`,
  // so from inside a shadow root they never reach the window. Whenever a
  // person acts on the page (a chooser opens only then), every shadow root
  // that holds a file input gets OrgSeal's listeners: at once, and again
  // once the page's own handlers have run (at most every 100 ms). Chromium
  // lets those events out, so there is nothing to do there.
  // (Asked of the element class, not of document.documentElement, which is
  // still null at document_start in some frames: a throw here would leave the
  // frame without any of OrgSeal's listeners.)
  const FIREFOX_EVENTS = 'openOrClosedShadowRoot' in Element.prototype;
  let lastScan = 0;
  function watchAllRoots(event) {
    if (!FIREFOX_EVENTS || !event.isTrusted || config.mode === 'off' || performance.now() - lastScan < 100) return;
    lastScan = performance.now();
    const scan = () => {
      for (const input of deepFileInputs(document)) watchRoot(input);
    };
    scan();
    setTimeout(scan, 0);
    setTimeout(scan, 250);
  }

  // ---- listening, and listening again after document.open() ----
  let alivePing = false;
  const handlers = {
    input: onFileEvent,
    change: onFileEvent,
    drop: onDrop,
    paste: onPaste,
    submit: onSubmit,
    click: (e) => {
      onClick(e);
      onChooserClick(e);
    },
    dragstart: (e) => (dragFromPage = e.isTrusted || dragFromPage),
    dragend: (e) => (dragFromPage = e.isTrusted ? false : dragFromPage),
    pointerdown: (e) => {
      dragFromPage = e.isTrusted ? false : dragFromPage;
      watchAllRoots(e);
    },
    keydown: watchAllRoots,
    // Sealed files spooled for this document go with it (not when it only
    // moves to the back/forward cache: it may come back and upload them).
    pagehide: (e) => {
      if (e.isTrusted && !e.persisted) removeSpooled();
    },
    'orgseal-ping': () => (alivePing = true),
  };
  function install() {
    for (const [type, fn] of Object.entries(handlers)) listen(window, type, fn);
  }
  // `document.open()` erases the window's listeners; put ours back if so.
  function reinstall() {
    alivePing = false;
    window.dispatchEvent(new Event('orgseal-ping'));
    if (alivePing) return;
    install();
    sealer = null;
  }
  install();
  warmSealer();
  // The page hook (page world) signals document.open() synchronously through
  // this detached element; the mutation observer is the fallback.
  const anchor = document.createElement('orgseal-anchor');
  anchor.addEventListener('orgseal-reopened', reinstall);
  anchor.addEventListener('orgseal-show-picker', onShowPicker);
  anchor.addEventListener('orgseal-file-click', onPageFileClick);
  window.dispatchEvent(new MouseEvent('orgseal-anchor', { relatedTarget: anchor }));
  const observer = new MutationObserver(reinstall);
  observer.observe(document, { childList: true });
})();
