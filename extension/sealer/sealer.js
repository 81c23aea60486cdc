// @ts-check
// The hidden sealer frame. Extension origin, so WebAssembly runs here even on
// pages whose CSP blocks it in content scripts. It takes work only over the
// MessageChannel its content script opened with a token the background
// issued, and it only ever seals: a page that reaches it gets ciphertext.
import { loadCore, SealPlan } from '../lib/wasm.js';
import { fromBase64 } from '../lib/bytes.js';
import { MSG, ask } from '../lib/messages.js';
import { sealBlob, withFileKey } from '../bulk/gcm.js';
import { assemble, removeSpool, sweepStale } from '../bulk/spool.js';

// Sealed files of 64 MiB and more are assembled on disk (the extension's
// private file system) and handed to the page as disk-backed Files, so memory
// does not grow with the file. They hold only sealed bytes; they go when this
// frame does (the page closes or navigates), and any left by a crash after a day.
sweepStale('seal').catch(() => {});
addEventListener('pagehide', () => removeSpool());

// What this frame shows once the content script makes it visible: the file
// being sealed, how far, how fast, and Cancel. The page cannot read or
// restyle any of it (another origin).
const jobs = new Map(); // id → { name, size, done, started, control }
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
function render() {
  const running = [...jobs.values()];
  $('box').hidden = running.length === 0;
  if (!running.length) return;
  const job = running[0];
  const secs = (performance.now() - job.started) / 1000;
  const pct = job.size ? job.done / job.size : 1;
  $('name').textContent = job.name;
  $('count').textContent = running.length > 1 ? `1 of ${running.length}` : '';
  /** @type {HTMLProgressElement} */ ($('bar')).value = pct;
  const mbps = secs > 0 ? job.done / secs / 1e6 : 0;
  $('figures').textContent = `${Math.floor(pct * 100)} % · ${mbps.toFixed(0)} MB/s`;
}
$('cancel').addEventListener('click', (e) => {
  if (!e.isTrusted) return;
  for (const job of jobs.values()) job.control.cancelled = true;
  $('figures').textContent = 'cancelling…';
});

async function seal(token, file, progress, control) {
  await loadCore();
  const begin = await ask({
    type: MSG.sealBegin,
    token,
    name: file.name,
    mime: file.type,
    size: file.size,
    modified: file.lastModified,
  });
  const chunkKey = fromBase64(begin.chunkKey);
  const plan = new SealPlan(chunkKey, file.size);
  chunkKey.fill(0);
  const stopIfCancelled = () => {
    if (control.cancelled) throw Object.assign(new Error('cancelled: nothing was sent'), { code: 'cancelled' });
  };
  const { blob: sealed } = await withFileKey(plan, file.size, (key, pool) =>
    assemble(file.size, undefined, async (sink) => {
      stopIfCancelled();
      await sink.push(fromBase64(begin.prefix));
      await sealBlob(file, plan, key, sink, progress, control, pool);
      // A Cancel during the last window counts too.
      stopIfCancelled();
    }, 'seal'),
  );
  stopIfCancelled();
  // With sealed names the site learns nothing of the original: not even its
  // modification time (that travels inside the sealed metadata).
  const lastModified = begin.hideName ? Date.now() : file.lastModified;
  return new File([sealed], begin.sealedName, { type: 'application/octet-stream', lastModified });
}

// The page can post to this frame too (it is the parent window), so a connect
// counts only once the background has accepted its token; a bogus one neither
// claims the frame nor blocks the real one.
let claimed = false;
window.addEventListener('message', async (event) => {
  if (claimed || event.source !== window.parent || event.data?.type !== 'orgseal-connect' || !event.ports[0]) return;
  const port = event.ports[0];
  const token = String(event.data.token);
  try {
    await ask({ type: MSG.sealerClaim, token });
    claimed = true;
    await loadCore();
  } catch (e) {
    port.postMessage({ type: 'refused', message: String(e?.message ?? e) });
    return;
  }
  port.onmessage = async ({ data }) => {
    if (data?.type !== 'seal' || !(data.file instanceof File)) return;
    const job = { name: data.file.name, size: data.file.size, done: 0, started: performance.now(), control: { cancelled: false } };
    jobs.set(data.id, job);
    render();
    try {
      let reported = 0;
      const progress = (done) => {
        job.done = done;
        render();
        // The content script counts a seal as stalled after 30 s of silence.
        if (done - reported >= 4 << 20) {
          reported = done;
          port.postMessage({ type: 'progress', id: data.id, done });
        }
      };
      const sealed = await seal(token, data.file, progress, job.control);
      port.postMessage({ type: 'sealed', id: data.id, file: sealed, ms: performance.now() - job.started });
    } catch (e) {
      port.postMessage({ type: 'error', id: data.id, message: String(e?.message ?? e), code: e?.code ?? 'error' });
    } finally {
      jobs.delete(data.id);
      render();
    }
  };
  port.postMessage({ type: 'ready' });
});
