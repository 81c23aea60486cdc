// @ts-check
// OrgSeal content script, part 3: the extension's sealer frame, where each
// file is sealed; the progress overlay; jobs, and what waits for them.
(() => {
  const S = /** @type {any} */ (globalThis).__orgsealNext;
  const { ask, currentConfig, notice } = S;
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

  // A seal fails if the sealer goes quiet for this long (it reports progress
  // every few MiB), or if its frame is removed.
  const QUIET_MS = 30000;

  async function sealFile(cfg, file) {
    const s = await openSealer(cfg);
    const spool = file.size >= S.SPOOL_FROM ? await S.openSpool() : null;
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

  S.openSealer = openSealer;
  S.warmSealer = warmSealer;
  S.sealAll = sealAll;
  S.work = work;
  S.busy = () => busy;
  S.hold = (key, action) => held.push([key, action]);
  S.forgetSealer = () => (sealer = null);
})();
