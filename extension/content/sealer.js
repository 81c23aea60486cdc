// @ts-check
// OrgSeal content script, part 3: the extension's sealer frame, where each
// file is sealed; the progress overlay; jobs, and what waits for them.
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;
  const { ask, currentConfig } = S;
  const sealedFiles = new WeakSet(); // File objects the sealer made
  S.sealedFiles = sealedFiles;
  let busy = 0;
  const held = [];
  let nextId = 1;

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
        S.sweepSpool();
      });
    if (document.readyState === 'complete') setTimeout(start, 0);
    else addEventListener('load', () => setTimeout(start, 0), { once: true });
  }

  async function openSealer(cfg) {
    for (;;) {
      const current = sealer;
      if (!current) break;
      const s = await current.catch(() => null);
      if (s?.frame.isConnected) return s;
      // Several seals at once may all find the frame gone: the first starts
      // the new one, the others use it.
      if (sealer !== current) continue;
      // The page removed the frame (or replaced the document): start afresh.
      for (const call of s?.calls.values() ?? []) call.fail(new Error('the page removed OrgSeal\'s sealer; try again'));
      sealer = null;
    }
    const started = ask({ type: 'sealer-token' }).then(({ token }) => startFrame(cfg.sealerUrl, token));
    sealer = started;
    started.catch(() => {
      if (sealer === started) sealer = null;
    });
    return started;
  }

  // A seal fails if the sealer goes quiet for this long (it reports progress
  // every few MiB), or if its frame is removed.
  const QUIET_MS = 30000;

  // `group`: the seals of one batch; when one fails, the others are told to
  // stop (nothing of the pick is attached, so none need finish).
  async function sealFile(cfg, file, group = null) {
    const s = await openSealer(cfg);
    const spool = file.size >= S.SPOOL_FROM ? await S.openSpool() : null;
    const id = nextId++;
    group?.set(id, () => s.port.postMessage({ type: 'cancel', id }));
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
          group?.delete(id);
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
              if (failed) done(fail, S.writeError(failed));
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
  // `cfg`: the background's answer for this frame, for a person's own attach
  // (which never passed through the page, so a quarantine does not stop it).
  async function sealAll(files, cfg = null) {
    cfg ??= await currentConfig();
    if (cfg.mode === 'off') return files;
    if (cfg.mode !== 'seal') throw Object.assign(new Error(cfg.reason ?? 'OrgSeal cannot seal files here'), { code: 'blocked' });
    // A sandboxed document (opaque origin) passes its sandbox on to every frame
    // in it, the sealer's too, where the extension cannot run.
    if (self.origin === 'null') {
      throw Object.assign(new Error('this page runs in a sandbox (an opaque origin), where OrgSeal cannot seal files; nothing was attached'), { code: 'sandbox' });
    }
    const out = [];
    for (const batch of batches(files)) {
      // Every seal of a batch ends before the pick fails or goes on: none
      // goes on sealing behind a failed pick.
      // The first failure is the one the person is told of (the others it
      // stopped fail as cancelled).
      const group = new Map();
      let first = null;
      const results = await Promise.allSettled(
        batch.map((f) =>
          sealFile(cfg, f, group).catch((e) => {
            if (!first) {
              first = { reason: e };
              for (const stop of group.values()) stop();
              group.clear();
            }
            throw e;
          }),
        ),
      );
      // (Every rejection passed through the catch above, so none is left.)
      if (first) throw first.reason;
      for (const r of results) {
        const sealed = /** @type {PromiseFulfilledResult<File>} */ (r).value;
        sealedFiles.add(sealed);
        out.push(sealed);
      }
    }
    return out;
  }

  // Small files are sealed several at a time: each one's hops (to the sealer
  // frame, to the background for its key, back to the page) then overlap
  // instead of adding up. A large file is sealed alone, so that memory and
  // the disk spool hold one at a time. Any failure fails the whole pick, as
  // before: nothing is attached.
  const BATCH_FILE = 16 << 20;
  const BATCH_BYTES = 64 << 20;
  const BATCH_FILES = 16;
  function batches(files) {
    const out = [];
    let batch = [];
    let bytes = 0;
    for (const f of files) {
      const small = f.size < BATCH_FILE;
      if (batch.length && (!small || bytes + f.size > BATCH_BYTES || batch.length >= BATCH_FILES)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(f);
      bytes += f.size;
      if (!small) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) out.push(batch);
    return out;
  }

  // The sealer frame doubles as the overlay: once sealing has taken a
  // second it shows the file's name, percent, speed and Cancel; after a seal
  // it confirms "Sealed" with the name for a few seconds; while a download
  // from this site opens, its name, percent and Cancel. It is another
  // origin, so the page can neither read nor change what it shows (it can
  // hide or cover the frame element, which only stops its own upload; the
  // popup offers Cancel too, where the page cannot reach).
  const OVERLAY =
    'display:block !important;position:fixed !important;right:12px !important;bottom:12px !important;' +
    'width:360px !important;height:104px !important;border:0 !important;margin:0 !important;padding:0 !important;' +
    'z-index:2147483647 !important;border-radius:8px !important;box-shadow:0 2px 12px rgba(0,0,0,.3) !important;' +
    'opacity:1 !important;visibility:visible !important;transform:none !important;pointer-events:auto !important';
  let overlayTimer = null;
  let busySince = 0;
  let confirmUntil = 0;
  const opening = new Set(); // download URLs shown
  function refreshOverlay() {
    clearTimeout(overlayTimer);
    const now = Date.now();
    const on = (busy > 0 && now - busySince >= 1000) || opening.size > 0 || now < confirmUntil;
    sealer?.then((s) => {
      s.frame.style.cssText = on ? OVERLAY : 'display:none !important';
      s.frame.setAttribute('aria-hidden', on ? 'false' : 'true');
      s.frame.tabIndex = on ? 0 : -1;
    }, () => {});
    // Look again when the next of these changes it.
    const next = [busy > 0 && now - busySince < 1000 ? busySince + 1000 : 0, now < confirmUntil ? confirmUntil : 0].filter(Boolean);
    if (next.length) overlayTimer = setTimeout(refreshOverlay, Math.min(...next) - now + 5);
  }

  // A download from this site being opened (the background tells the top
  // frame): shown in the same frame, with its own Cancel.
  S.showOpening = async (msg) => {
    if (window !== window.top || typeof msg?.url !== 'string') return;
    const cfg = await currentConfig();
    if (cfg.mode !== 'seal') return;
    const s = await openSealer(cfg).catch(() => null);
    if (!s) return;
    if (msg.end) opening.delete(msg.url);
    else opening.add(msg.url);
    s.port.postMessage({ type: 'opening', url: msg.url, name: String(msg.name ?? ''), pct: Number(msg.pct) || 0, end: Boolean(msg.end) });
    refreshOverlay();
  };

  // The popup's Cancel (through the background): every seal in this frame stops.
  S.cancelSeals = () =>
    sealer?.then((s) => {
      for (const id of s.calls.keys()) s.port.postMessage({ type: 'cancel', id });
    }, () => {});

  // Runs one sealing job; clicks and submits wait until every job is done.
  // A job the person cancelled drops what was held: nothing is sent.
  let cancelled = false;
  function work(names, job) {
    if (busy++ === 0) busySince = Date.now();
    refreshOverlay();
    let ok = false;
    job()
      .then(() => (ok = true))
      .catch((e) => {
        if (e?.code === 'cancelled') {
          cancelled = true;
          console.info(`OrgSeal: sealing ${names.join(', ')} was cancelled; nothing was attached or sent`);
        } else {
          const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;
          const code = typeof e?.code === 'string' && Object.hasOwn(W.upload, e.code) ? e.code : 'seal-failed';
          // A blocked seal's message is the frame's reason, in its words.
          S.refuse(code, names, e?.message ?? String(e), code === 'blocked' ? e.message : undefined);
        }
      })
      .finally(() => {
        // "Sealed" with the name, for a few seconds (the sealer frame says it).
        if (ok && !cancelled && sealer) confirmUntil = Date.now() + 4000;
        if (--busy > 0) return;
        refreshOverlay();
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

  S.openSealer = openSealer;
  S.warmSealer = warmSealer;
  S.sealAll = sealAll;
  S.work = work;
  S.busy = () => busy;
  S.hold = (key, action) => held.push([key, action]);
  S.forgetSealer = () => (sealer = null);
})();
