// @ts-check
// Opens a sealed (or passes through an unsealed) response body into a Blob.
// Runs in extension-origin contexts only. The org key never comes here: the
// background checks the file's prefix and returns this one file's chunk key.
import { loadCore, ContentOpener, headerLength, prefixLength } from './wasm.js';
import { BlobSink, pieces, toBase64, fromBase64 } from './bytes.js';

const MAGIC = [0x4f, 0x72, 0x67, 0x53, 0x65, 0x61, 0x6c]; // "OrgSeal"

// Pulls bytes from an async iterator until `buf` holds at least n bytes.
async function fill(it, state, n) {
  while (state.buf.length < n && !state.done) {
    const { value, done } = await it.next();
    if (done) state.done = true;
    else state.buf = concat(state.buf, value);
  }
}

function concat(a, b) {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// `beginOpen(prefixBase64)` asks the key holder; resolves to its answer or throws.
export async function openStream(stream, { beginOpen, fallbackName }) {
  await loadCore();
  const it = pieces(stream);
  const state = { buf: new Uint8Array(0), done: false };
  await fill(it, state, headerLength());
  const sealed = state.buf.length >= MAGIC.length && MAGIC.every((b, i) => state.buf[i] === b);
  if (!sealed) {
    // Not sealed (stored before the rollout): passes through unchanged.
    const sink = new BlobSink();
    sink.push(state.buf);
    for await (const p of it) sink.push(p);
    return { sealed: false, name: fallbackName, blob: sink.finish() };
  }
  const need = prefixLength(state.buf.subarray(0, headerLength())); // throws on a bad header
  await fill(it, state, need);
  if (state.buf.length < need) {
    const e = /** @type {Error & { code?: string }} */ (
      new Error(`truncated: the file ends at byte ${state.buf.length}, before its header is complete`)
    );
    e.code = 'truncated';
    throw e;
  }
  const info = await beginOpen(toBase64(state.buf.subarray(0, need)));
  const opener = new ContentOpener(fromBase64(info.chunkKey), info.contentOffset, info.size ?? undefined);
  const sink = new BlobSink(info.type || 'application/octet-stream');
  try {
    sink.push(opener.push(state.buf.subarray(need)));
    for await (const p of it) sink.push(opener.push(p));
    sink.push(opener.finish());
  } finally {
    opener.free?.();
  }
  return { sealed: true, name: info.name, type: info.type, keyLabel: info.keyLabel, blob: sink.finish() };
}
