// OrgSeal content script: runs at document_start in the isolated world of
// every page, and acts only where the policy names the page's origin.
//
// On such a page it catches file inputs and drops in the capture phase,
// before any page listener, takes the files out of the page's reach, has the
// extension's sealer frame seal them, and puts the sealed files back before
// re-dispatching the event. The page's own code therefore only ever holds
// sealed files, whatever it uploads them with. Submits and button clicks that
// arrive while sealing is under way are held and replayed afterwards.
// No key ever comes here; plaintext passes through on its way to the frame.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const ours = new WeakSet(); // events this script dispatched itself
  let config = null; // {mode: 'off'|'seal'|'blocked', ...}, cached once 'seal'
  let sealer = null; // promise of {port, calls}
  let busy = 0; // files being sealed
  const held = []; // actions replayed when busy drops to 0
  let nextId = 1;

  async function ask(msg) {
    const res = await api.runtime.sendMessage(msg);
    if (!res?.ok) throw new Error(res?.error?.message ?? 'the OrgSeal extension did not answer');
    return res.value;
  }

  async function siteConfig() {
    if (config?.mode !== 'seal') config = await ask({ type: 'site-config' }).catch(() => ({ mode: 'off' }));
    return config;
  }
  // Ask early so the first pick does not wait.
  siteConfig();

  // Opens the hidden sealer frame and its MessageChannel. Resolves to
  // {port, calls} once the frame reports ready; on any failure the frame is
  // removed and the next file tries again.
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
            if (data?.type === 'ready') resolve({ port: channel.port1, calls });
            else if (data?.type === 'refused') reject(new Error(data.message));
            else if (calls.has(data?.id)) {
              const { ok, fail, file } = calls.get(data.id);
              calls.delete(data.id);
              if (data.type === 'sealed' && data.file instanceof File) {
                console.info(`OrgSeal sealed ${file.name} (${file.size} bytes) in ${Math.round(data.ms)} ms`);
                ok(data.file);
              } else {
                fail(new Error(data.message ?? 'sealing failed'));
              }
            }
          };
          const message = { type: 'orgseal-connect', token };
          frame.contentWindow.postMessage(message, new URL(sealerUrl).origin, [channel.port2]);
        },
        { once: true },
      );
      (document.body ?? document.documentElement).appendChild(frame);
    });
    started.catch(() => frame.remove());
    return started;
  }

  function openSealer(cfg) {
    sealer ??= ask({ type: 'sealer-token' }).then(({ token }) => startFrame(cfg.sealerUrl, token));
    sealer.catch(() => {
      sealer = null;
      config = null;
    });
    return sealer;
  }

  async function sealFile(cfg, file) {
    const { port, calls } = await openSealer(cfg);
    const id = nextId++;
    return new Promise((ok, fail) => {
      calls.set(id, { ok, fail, file });
      port.postMessage({ type: 'seal', id, file });
    });
  }

  function notice(text) {
    console.warn(text);
    const host = document.createElement('div');
    host.dataset.orgsealNotice = '';
    const root = host.attachShadow({ mode: 'closed' });
    const box = document.createElement('div');
    box.textContent = text;
    box.style.cssText =
      'position:fixed;z-index:2147483647;right:12px;bottom:12px;max-width:420px;padding:10px 14px;' +
      'background:#7a1010;color:#fff;font:14px/1.4 system-ui,sans-serif;border-radius:6px';
    root.appendChild(box);
    (document.body ?? document.documentElement).appendChild(host);
    setTimeout(() => host.remove(), 15000);
  }

  function startBusy() {
    busy++;
    document.documentElement.dataset.orgsealBusy = String(busy);
  }
  function endBusy() {
    busy--;
    if (busy > 0) return;
    delete document.documentElement.dataset.orgsealBusy;
    for (const action of held.splice(0)) action();
  }

  // Takes the files, seals them, and returns sealed files (or throws).
  async function sealAll(files) {
    const cfg = await siteConfig();
    if (cfg.mode === 'off') return { files, sealed: false };
    if (cfg.mode === 'blocked') throw new Error(cfg.reason);
    const out = [];
    for (const f of files) out.push(await sealFile(cfg, f));
    return { files: out, sealed: true };
  }

  function toFileList(files) {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(f);
    return dt;
  }

  // ---- file inputs ----
  const heldInputs = new WeakSet();
  function onFileEvent(event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'file' || ours.has(event)) return;
    if (config?.mode === 'off') return; // not a configured site: never interfere
    const files = [...(input.files ?? [])];
    if (!files.length) {
      // The trusted 'change' that follows an 'input' being held.
      if (heldInputs.has(input)) event.stopImmediatePropagation();
      return;
    }
    // Hold this event: the page must not see the plaintext files.
    event.stopImmediatePropagation();
    heldInputs.add(input);
    input.value = '';
    startBusy();
    sealAll(files)
      .then(({ files: result }) => {
        input.files = toFileList(result).files;
        for (const type of ['input', 'change']) {
          const ev = new Event(type, { bubbles: true });
          ours.add(ev);
          input.dispatchEvent(ev);
        }
      })
      .catch((e) => {
        input.value = '';
        notice(`OrgSeal did not attach ${files.map((f) => f.name).join(', ')}: ${e.message}`);
      })
      .finally(() => {
        heldInputs.delete(input);
        endBusy();
      });
  }
  window.addEventListener('input', onFileEvent, true);
  window.addEventListener('change', onFileEvent, true);

  // ---- drops ----
  window.addEventListener(
    'drop',
    (event) => {
      if (ours.has(event) || !event.dataTransfer?.files?.length || config?.mode === 'off') return;
      const files = [...event.dataTransfer.files];
      const target = event.target;
      const init = { bubbles: true, cancelable: true, composed: true, clientX: event.clientX, clientY: event.clientY };
      event.preventDefault();
      event.stopImmediatePropagation();
      startBusy();
      sealAll(files)
        .then(({ files: result }) => {
          const ev = new DragEvent('drop', { ...init, dataTransfer: toFileList(result) });
          ours.add(ev);
          target.dispatchEvent(ev);
        })
        .catch((e) => notice(`OrgSeal did not attach ${files.map((f) => f.name).join(', ')}: ${e.message}`))
        .finally(endBusy);
    },
    true,
  );

  // ---- hold submits and clicks while sealing ----
  window.addEventListener(
    'submit',
    (event) => {
      if (!busy || ours.has(event)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const form = event.target;
      const submitter = event.submitter;
      held.push(() => form.requestSubmit(submitter && submitter.form === form ? submitter : undefined));
    },
    true,
  );
  window.addEventListener(
    'click',
    (event) => {
      if (!busy || !event.isTrusted) return;
      const el = event.target instanceof Element ? event.target.closest('button, input[type=submit], input[type=button], a[href]') : null;
      if (!el) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      held.push(() => el.click());
    },
    true,
  );
})();
