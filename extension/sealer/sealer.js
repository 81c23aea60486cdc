// @ts-check
// The hidden sealer frame. Extension origin, so WebAssembly runs here even on
// pages whose CSP blocks it in content scripts. It takes work only over the
// MessageChannel its content script opened with a token the background
// issued, and it only ever seals: a page that reaches it gets ciphertext.
import { loadCore, SealPlan } from '../lib/wasm.js';
import { BlobSink, fromBase64 } from '../lib/bytes.js';
import { MSG, ask } from '../lib/messages.js';
import { importChunkKey, sealBlob } from '../bulk/gcm.js';

async function seal(token, file, progress) {
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
  const raw = plan.aesKey();
  const key = await importChunkKey(raw);
  raw.fill(0);
  const sink = new BlobSink();
  let reported = 0;
  try {
    sink.push(fromBase64(begin.prefix));
    await sealBlob(file, plan, key, sink, (done) => {
      if (done - reported >= 4 << 20) {
        reported = done;
        progress(done);
      }
    });
  } finally {
    plan.free();
  }
  // With sealed names the site learns nothing of the original: not even its
  // modification time (that travels inside the sealed metadata).
  const lastModified = begin.hideName ? Date.now() : file.lastModified;
  return new File([sink.finish()], begin.sealedName, { type: 'application/octet-stream', lastModified });
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
    try {
      const started = performance.now();
      const progress = (done) => port.postMessage({ type: 'progress', id: data.id, done });
      const sealed = await seal(token, data.file, progress);
      const ms = performance.now() - started;
      port.postMessage({ type: 'sealed', id: data.id, file: sealed, ms });
    } catch (e) {
      port.postMessage({ type: 'error', id: data.id, message: String(e?.message ?? e) });
    }
  };
  port.postMessage({ type: 'ready' });
});
