// @ts-check
// A worker of bulk/gcm.js: holds one file's AES key as a non-extractable
// CryptoKey and seals (sealWindow: reads its part of the file) or opens
// (openWindow) the windows it is given, running only the AES-GCM calls the
// core planned; returns the bytes, and an opened window's input array to use
// again (both transferred), or which chunk did not verify.
import { importChunkKey, openWindow, sealWindow } from './gcm.js';

/** @type {CryptoKey | null} */
let key = null;
/** postMessage as a worker has it (the type check takes `self` for a window). */
const reply = /** @type {(message: any, transfer?: Transferable[]) => void} */ (/** @type {any} */ (self).postMessage.bind(self));
self.onmessage = async ({ data }) => {
  if (data?.raw) {
    try {
      key = await importChunkKey(data.raw);
      data.raw.fill(0);
      reply({ ready: true });
    } catch (e) {
      reply({ error: String(e?.message ?? e) });
    }
    return;
  }
  const { id, op } = data ?? {};
  try {
    if (!key) throw new Error('no key');
    if (op === 'seal') {
      const { bytes } = await sealWindow(key, data.file, data.bounds, data.nonces, data.output);
      reply({ id, bytes }, [bytes.buffer]);
    } else if (op === 'open') {
      const out = await openWindow(key, data.input, data.lengths, data.nonces, data.output);
      if (out.bytes) reply({ id, bytes: out.bytes, input: out.input }, [out.bytes.buffer, out.input.buffer]);
      else reply({ id, failed: out.failed });
    } else throw new Error(`unknown job ${op}`);
  } catch (e) {
    reply({ id, error: String(e?.message ?? e) });
  }
};
