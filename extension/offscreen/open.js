// @ts-check
// Opens a sealed response body into a Blob, or hands back an unsealed one
// unchanged for the background to decide on (the unsealed-download rule).
// Runs in the offscreen document only; the AES-GCM work is WebCrypto's (bulk/gcm.js). The org key never comes here: the
// background checks the file's prefix and returns this one file's chunk key.
// Every reading rule (what is an OrgSeal file, how long its prefix is, when it
// is cut short) is the core's; this file only moves bytes.
import { loadCore, OpenPlan, headerLength, prefixLength } from '../lib/wasm.js';
import { pieces, toBase64, fromBase64, concat } from '../lib/bytes.js';
import { assemble } from '../bulk/spool.js';
import { openPieces, withFileKey } from '../bulk/gcm.js';

// Pulls bytes from an async iterator until `buf` holds at least n bytes.
async function fill(it, state, n) {
  while (state.buf.length < n && !state.done) {
    const { value, done } = await it.next();
    if (done) state.done = true;
    else state.buf = concat(state.buf, value);
  }
}

/**
 * The core's answer for the first bytes: the prefix length of an OrgSeal
 * file, or null for bytes that are not one (`not-orgseal`). A file that
 * starts like one but is damaged throws with the core's code.
 * @param {Uint8Array} first
 * @param {boolean} ended the stream ended within these bytes
 */
function sealedPrefixLength(first, ended) {
  try {
    return prefixLength(first, ended);
  } catch (e) {
    if (e?.code === 'not-orgseal') return null;
    throw e;
  }
}

// `beginOpen(prefixBase64)` asks the key holder; resolves to its answer or throws.
// `progress(bytes)` is told how many bytes of the file have been opened;
// `length` is the response's length, when it gave one.
/**
 * @param {ReadableStream<Uint8Array>} stream
 * @param {{ beginOpen: (prefix: string) => Promise<any>, progress?: (done: number) => void, length?: number }} how
 */
export async function openStream(stream, { beginOpen, progress = () => {}, length = 0 }) {
  await loadCore();
  const it = pieces(stream);
  const state = { buf: new Uint8Array(0), done: false };
  await fill(it, state, headerLength());
  const need = sealedPrefixLength(state.buf.subarray(0, headerLength()), state.done && state.buf.length < headerLength());
  if (need === null) {
    const { blob, spool } = await assemble(length, undefined, async (sink) => {
      await sink.push(state.buf);
      for await (const p of it) await sink.push(p);
    }, 'open');
    return { sealed: false, blob, spool };
  }
  await fill(it, state, need);
  // A prefix cut short is refused by the core (`short-file`).
  const info = await beginOpen(toBase64(state.buf.subarray(0, need)));
  const chunkKey = fromBase64(info.chunkKey);
  const plan = new OpenPlan(chunkKey, info.contentOffset, info.size ?? undefined);
  chunkKey.fill(0);
  // Large files are assembled on disk in the extension's private storage
  // (never in the downloads folder) and saved only after the last chunk
  // verified; on any refusal the spool file is removed.
  // The size the sealed file records is exact (the plan refuses any other),
  // so a spool file can reserve it at once.
  const size = info.size ?? length;
  const { blob, spool } = await withFileKey(plan, size, (key, pool) =>
    assemble(size, info.type || 'application/octet-stream', (sink) =>
      openPieces(it, plan, key, sink, state.buf.subarray(need), (done) => progress(need + done), pool),
      'open',
      info.size != null,
    ),
  );
  return { sealed: true, name: info.name, type: info.type, keyLabel: info.keyLabel, blob, spool };
}
