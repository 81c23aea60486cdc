// @ts-check
// The hidden sealer frame. Extension origin, so WebAssembly runs here even on
// pages whose CSP blocks it in content scripts. It takes work only over the
// MessageChannel its content script opened with a token the background
// issued, and it only ever seals: a page that reaches it gets ciphertext.
import { loadCore, SealPlan } from '../lib/wasm.js';
import { fromBase64, owned } from '../lib/bytes.js';
import { MSG, ask } from '../lib/messages.js';
import { fileCipher, sealBlob } from '../bulk/gcm.js';
import { openSink, removeSpool, sweepStale } from '../bulk/spool.js';
import '../lib/words.js';

const O = /** @type {any} */ (globalThis).ORGSEAL_WORDS.overlay;

// Sealed files of 64 MiB and more are assembled on disk so that memory does
// not grow with the file: streamed to the content script, which writes them
// into the page origin's private file system (PortSink below), or, where it
// has none, into this frame's own, if the browser gives an extension frame
// inside a web page storage at all (Chromium does not: then in memory).
// Spool files here hold only sealed bytes; they go when this frame does (the
// page closes or navigates), and any left by a crash after a day.
sweepStale('seal').catch(() => {});
addEventListener('pagehide', () => removeSpool());

// What this frame shows once the content script makes it visible: the file
// being sealed, how far, how fast, and Cancel. The page cannot read or
// restyle any of it (another origin).
const jobs = new Map(); // id → { name, size, done, started, control }
const opens = new Map(); // download URL → { name, pct }: downloads of this site being opened
let lastSealed = null; // { names, at }: what the confirmation names
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
function render() {
  const running = [...jobs.values()];
  const opening = [...opens.entries()];
  const confirming = !running.length && !opening.length && lastSealed && performance.now() - lastSealed.at < 5000;
  $('box').hidden = !running.length && !opening.length && !confirming;
  $('box').className = confirming ? 'done' : '';
  $('bar').hidden = Boolean(confirming);
  $('cancel').hidden = Boolean(confirming);
  if (confirming) {
    $('what').textContent = O.sealed;
    $('name').textContent = lastSealed.names.join(', ');
    $('count').textContent = '';
    $('figures').textContent = '';
    return;
  }
  if (running.length) {
    const job = running[0];
    const secs = (performance.now() - job.started) / 1000;
    const pct = job.size ? job.done / job.size : 1;
    $('what').textContent = O.sealing;
    $('name').textContent = job.name;
    $('count').textContent = running.length > 1 ? `1 of ${running.length}` : '';
    /** @type {HTMLProgressElement} */ ($('bar')).value = pct;
    const mbps = secs > 0 ? job.done / secs / 1e6 : 0;
    $('figures').textContent = `${Math.floor(pct * 100)} % · ${mbps.toFixed(0)} MB/s`;
  } else if (opening.length) {
    const [, o] = opening[0];
    $('what').textContent = O.opening;
    $('name').textContent = o.name;
    $('count').textContent = opening.length > 1 ? `1 of ${opening.length}` : '';
    /** @type {HTMLProgressElement} */ ($('bar')).value = o.pct / 100;
    $('figures').textContent = `${o.pct} %`;
  }
}
$('cancel').addEventListener('click', (e) => {
  if (!e.isTrusted) return;
  for (const job of jobs.values()) job.control.cancelled = true;
  if (!jobs.size) for (const url of opens.keys()) ask({ type: MSG.cancel, what: 'open', url }).catch(() => {});
  $('figures').textContent = O.cancelling;
});

// Sends sealed bytes to the content script as they are made, for it to write
// into the page origin's disk spool: at most CREDIT parts not yet written, so
// memory here does not grow with the file.
const CREDIT = 4;
class PortSink {
  /**
   * @param {MessagePort} port
   * @param {number} id
   */
  constructor(port, id) {
    this.port = port;
    this.id = id;
    this.size = 0;
    /** @type {number | undefined} the sealed file's length, once known */
    this.total = undefined;
    this.unacked = 0;
    this.cancelled = false;
    /** @type {(() => void)[]} */
    this.waiting = [];
    /** `push` hands the array over (see push). */
    this.consumes = false;
  }
  /** @param {Uint8Array} bytes */
  async push(bytes) {
    if (!bytes.length) return;
    while (this.unacked >= CREDIT && !this.cancelled) await new Promise((r) => this.waiting.push(() => r(undefined)));
    if (this.cancelled) throw Object.assign(new Error('cancelled: nothing was sent'), { code: 'cancelled' });
    this.unacked++;
    this.size += bytes.length;
    // The first part says how long the sealed file will be (the core's
    // layout), so that the writer reserves the space at once: growing the
    // file write by write halves the disk spool's speed in Chromium.
    const total = this.size === bytes.length ? this.total : undefined;
    // Transferred, not copied into the message: the page's renderer grew
    // more with copies (sealing 1 GiB, interleaved runs: +87-108 MiB against
    // +49-61 MiB), although the bytes are copied between the processes
    // either way. So the sealer does not reuse its output arrays
    // (`consumes` is false): each window gets a fresh one.
    const own = owned(bytes);
    this.port.postMessage({ type: 'part', id: this.id, bytes: own, total }, [own.buffer]);
  }
  /** The content script assembles the File from what it wrote: nothing here. */
  async finish() {
    return null;
  }
  /** The content script removes what it wrote when the seal fails. */
  async discard() {}
  ack() {
    this.unacked = Math.max(0, this.unacked - 1);
    this.waiting.shift()?.();
  }
  /** The content script gave up: a waiting push throws, and no more are sent. */
  cancel() {
    this.cancelled = true;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/**
 * Seals `file`. Without `streamTo`, returns `{ file }`, the sealed File (in
 * memory, or spooled in this origin's storage where the browser allows it);
 * with it, pushes the sealed bytes there and returns what the content script
 * needs to name the File it assembles.
 * @param {string} token
 * @param {number} job this frame's number for the seal (its seal-end names it)
 * @param {File} file
 * @param {(done: number) => void} progress
 * @param {{ cancelled: boolean }} control
 * @param {PortSink} [streamTo]
 */
async function seal(token, job, file, progress, control, streamTo) {
  await loadCore();
  const begin = await ask({
    type: MSG.sealBegin,
    token,
    job,
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
  // The file -> windows -> AES on the workers -> the sink: the content
  // script's disk spool (streamTo), or a file assembled here.
  const prefix = fromBase64(begin.prefix);
  const total = prefix.length + plan.contentLength();
  const cipher = await fileCipher(plan, file.size);
  /** @type {Blob | null} */
  let sealed;
  try {
    if (streamTo) streamTo.total = total;
    const sink = streamTo ?? (await openSink(total, 'application/octet-stream', 'seal', true));
    try {
      stopIfCancelled();
      await sink.push(prefix);
      await sealBlob(file, plan, cipher.key, sink, progress, control, cipher.pool);
      // A Cancel during the last window counts too.
      stopIfCancelled();
      sealed = await sink.finish();
    } catch (e) {
      await sink.discard();
      throw e;
    }
  } finally {
    cipher.close();
  }
  stopIfCancelled();
  // With sealed names the site learns nothing of the original: not even its
  // modification time (that travels inside the sealed metadata).
  const lastModified = begin.hideName ? Date.now() : file.lastModified;
  if (streamTo) return { name: begin.sealedName, size: streamTo.size, lastModified };
  return { file: new File([/** @type {Blob} */ (sealed)], begin.sealedName, { type: 'application/octet-stream', lastModified }) };
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
  /** @type {Map<number, PortSink>} */
  const streams = new Map();
  // How a seal ended, for the popup's list (a seal that never began, say a
  // policy that went away, is not one).
  const ended = (job, outcome, ms, why = '') => ask({ type: MSG.sealEnd, token, job, outcome, ms, why }).catch(() => {});
  port.onmessage = async ({ data }) => {
    if (data?.type === 'ack') return streams.get(data.id)?.ack();
    if (data?.type === 'opening' && typeof data.url === 'string') {
      if (data.end) opens.delete(data.url);
      else opens.set(data.url, { name: String(data.name), pct: Math.max(0, Math.min(100, Number(data.pct) || 0)) });
      return render();
    }
    if (data?.type === 'cancel') {
      const job = jobs.get(data.id);
      if (job) job.control.cancelled = true;
      return streams.get(data.id)?.cancel();
    }
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
      const streamTo = data.stream === true ? new PortSink(port, data.id) : undefined;
      if (streamTo) streams.set(data.id, streamTo);
      const out = await seal(token, data.id, data.file, progress, job.control, streamTo);
      const ms = performance.now() - job.started;
      port.postMessage(out.file ? { type: 'sealed', id: data.id, file: out.file, ms } : { type: 'sealed', id: data.id, streamed: true, ...out, ms });
      lastSealed = { names: [...(lastSealed && performance.now() - lastSealed.at < 5000 ? lastSealed.names : []), job.name].slice(-3), at: performance.now() };
      setTimeout(render, 5100);
      ended(data.id, 'sealed', Math.round(ms));
    } catch (e) {
      port.postMessage({ type: 'error', id: data.id, message: String(e?.message ?? e), code: e?.code ?? 'error' });
      ended(data.id, e?.code === 'cancelled' ? 'cancelled' : 'failed', null, String(e?.message ?? e));
    } finally {
      streams.delete(data.id);
      jobs.delete(data.id);
      render();
    }
  };
  port.postMessage({ type: 'ready' });
});
