// @ts-check
// OrgSeal content script, part 2: the disk spool for large sealed files.
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;
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
    Object.assign(new Error(`the sealed file could not be written to this site's storage on disk (${e?.message ?? e}); free some disk space and try again`), { code: 'disk-full' });
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

  S.SPOOL_FROM = SPOOL_FROM;
  S.openSpool = openSpool;
  S.sweepSpool = sweepSpool;
  S.removeSpooled = removeSpooled;
  S.writeError = writeError;
})();
