// @ts-check
// Opens a sealed response body into a Blob, or hands back an unsealed one
// unchanged for the background to decide on (the unsealed-download rule).
// Runs in the offscreen document only; the AES-GCM work is WebCrypto's (bulk/gcm.js). The org key never comes here: the
// background checks the file's prefix and returns this one file's chunk key.
// Every reading rule (what is an OrgSeal file, how long its prefix is, when it
// is cut short) is the core's; this file only moves bytes.
import { loadCore, OpenPlan, headerLength, prefixLength } from '../lib/wasm.js';
import { Buffers, byteReader, toBase64, fromBase64 } from '../lib/bytes.js';
import { openSink } from '../bulk/spool.js';
import { fileCipher, openPieces } from '../bulk/gcm.js';

/** How much of an unsealed download is read at a time. */
const PASS_THROUGH = 4 << 20;

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
export async function openStream(stream, how) {
  const reader = byteReader(stream);
  try {
    return await openFrom(reader, how);
  } catch (e) {
    // Nothing more of this download is read: the browser stops fetching it.
    reader.cancel();
    throw e;
  }
}

/**
 * @param {ReturnType<typeof byteReader>} reader
 * @param {{ beginOpen: (prefix: string) => Promise<any>, progress?: (done: number) => void, length?: number }} how
 */
async function openFrom(reader, { beginOpen, progress = () => {}, length = 0 }) {
  await loadCore();
  // The header first, which says whether this is a sealed file and how long
  // its prefix is; then exactly that prefix, so that the content starts at
  // the first byte read after it.
  let { buf, at } = await reader.fill(new Uint8Array(headerLength()), 0, headerLength());
  const need = sealedPrefixLength(buf.subarray(0, at), at < headerLength());
  if (need === null) {
    // Not sealed: the bytes as they come, for the background to decide on.
    const sink = await openSink(length, undefined, 'open');
    try {
      await sink.push(buf.subarray(0, at));
      const chunks = new Buffers(PASS_THROUGH);
      while (!reader.ended) {
        const read = await reader.fill(sink.consumes ? chunks.take() : new Uint8Array(PASS_THROUGH), 0, PASS_THROUGH);
        const bytes = read.buf.subarray(0, read.at);
        await sink.push(bytes);
        if (sink.consumes) chunks.give(bytes);
      }
      return { sealed: false, blob: await sink.finish(), spool: sink.name };
    } catch (e) {
      await sink.discard();
      throw e;
    }
  }
  const prefix = new Uint8Array(need);
  prefix.set(buf.subarray(0, at));
  ({ buf, at } = await reader.fill(prefix, at, need));
  // A prefix cut short is refused by the core (`short-file`).
  const info = await beginOpen(toBase64(buf.subarray(0, at)));
  const chunkKey = fromBase64(info.chunkKey);
  const plan = new OpenPlan(chunkKey, info.contentOffset, info.size ?? undefined);
  chunkKey.fill(0);
  // Large files are assembled on disk in the extension's private storage
  // (never in the downloads folder) and saved only after the last chunk
  // verified; on any refusal the spool file is removed.
  // The size the sealed file records is exact (the plan refuses any other),
  // so a spool file can reserve it at once.
  const size = info.size ?? length;
  const cipher = await fileCipher(plan, size);
  let blob, spool;
  try {
    const sink = await openSink(size, info.type || 'application/octet-stream', 'open', info.size != null);
    try {
      await openPieces(reader, plan, cipher.key, sink, (done) => progress(need + done), cipher.pool, info.size ?? null);
      blob = await sink.finish();
      spool = sink.name;
    } catch (e) {
      await sink.discard();
      throw e;
    }
  } finally {
    cipher.close();
  }
  return { sealed: true, name: info.name, type: info.type, keyLabel: info.keyLabel, blob, spool };
}
