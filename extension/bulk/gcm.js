// @ts-check
// Bulk AES-256-GCM through WebCrypto, for one file's content: the browser's
// AES (AES-NI, off the JavaScript thread) instead of AES in WebAssembly.
// Holds one file's chunk key, as a non-extractable CryptoKey; runs in the
// extension's own pages only (the sealer frame, the offscreen document).
//
// The format is the core's: a SealPlan / OpenPlan from the WebAssembly core
// says which bytes form chunk k, its nonce, when a chunk may be opened, how
// long the final chunk is, and makes every refusal (with the core's code).
// This file only runs the AES-GCM calls the plan asks for and moves bytes.
// WebCrypto's output is `ciphertext || tag`, exactly a sealed chunk.

/** Chunks read, sealed or opened together: 64 × 16 KiB = 1 MiB. */
const WINDOW = 64;

/** @param {Uint8Array} raw 32 bytes */
export async function importChunkKey(raw) {
  return crypto.subtle.importKey('raw', /** @type {BufferSource} */ (raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * Seals `file`'s bytes by `plan` (the core's SealPlan for file.size bytes),
 * pushing sealed chunks to `sink` in order. Reads the file a window at a time,
 * the next window while the current one is sealed, so the file is never whole
 * in memory. `progress(bytesRead)` is called after each window.
 * @param {Blob} file
 * @param {{ chunks(): number, range(k: number): Iterable<number> & ArrayLike<number>, nonce(k: number): Uint8Array }} plan
 * @param {CryptoKey} key
 * @param {{ push(bytes: Uint8Array): void }} sink
 * @param {(done: number) => void} [progress]
 * @param {{ cancelled?: boolean }} [control] set `cancelled` to stop at the next window
 */
export async function sealBlob(file, plan, key, sink, progress = () => {}, control = {}) {
  const chunks = plan.chunks();
  const read = async (first) => {
    const last = Math.min(first + WINDOW, chunks) - 1;
    const start = plan.range(first)[0];
    const end = plan.range(last)[1];
    const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
    if (bytes.length !== end - start) throw new Error(`the file changed while it was being sealed (read ${bytes.length} of ${end - start} bytes at ${start})`);
    return { first, last, start, bytes };
  };
  let next = read(0);
  for (let first = 0; first < chunks; first += WINDOW) {
    const win = await next;
    if (first + WINDOW < chunks) next = read(first + WINDOW);
    if (control.cancelled) {
      next.catch(() => {});
      throw Object.assign(new Error('cancelled: nothing was sent'), { code: 'cancelled' });
    }
    const calls = [];
    for (let k = win.first; k <= win.last; k++) {
      const [a, b] = plan.range(k);
      const iv = plan.nonce(k);
      calls.push(crypto.subtle.encrypt({ name: 'AES-GCM', iv: /** @type {BufferSource} */ (iv) }, key, win.bytes.subarray(a - win.start, b - win.start)));
    }
    for (const sealed of await Promise.all(calls)) sink.push(new Uint8Array(sealed));
    progress(plan.range(win.last)[1]);
  }
}

/**
 * Opens content arriving as `pieces` (after the prefix) by `plan` (the core's
 * OpenPlan), pushing plaintext to `sink` in order. Nothing here decides what a
 * chunk is, whether the stream was cut, or whether the size is right: the plan
 * does, and its refusals are thrown as they are.
 * @param {AsyncIterable<Uint8Array>} pieces
 * @param {{ push(n: number): Iterable<number> & ArrayLike<number>, checkReleased(): void, finish(): Iterable<number> & ArrayLike<number>, checkFinished(): number,
 *   nonce(k: number): Uint8Array, damaged(k: number): any }} plan
 * @param {CryptoKey} key
 * @param {{ push(bytes: Uint8Array): void }} sink
 * @param {Uint8Array} [head] content bytes that arrived with the prefix
 * @param {(done: number) => void} [progress]
 */
export async function openPieces(pieces, plan, key, sink, head = new Uint8Array(0), progress = () => {}) {
  const SEALED = 16400; // a full chunk; which chunks are full is the plan's call
  let pending = new Uint8Array(0);
  let done = 0;
  const take = async (piece) => {
    pending = concat(pending, piece);
    const [first, end] = plan.push(piece.length);
    await openChunks(plan, key, sink, first, end, (k) => pending.subarray((k - first) * SEALED, (k - first + 1) * SEALED));
    pending = pending.slice((end - first) * SEALED);
    plan.checkReleased();
    done += piece.length;
    progress(done);
  };
  // Pieces are gathered to about a window, so that a window's chunks are
  // opened together whatever size the network delivers.
  let gathered = [head];
  let size = head.length;
  for await (const piece of pieces) {
    gathered.push(piece);
    size += piece.length;
    if (size >= WINDOW * SEALED) {
      await take(joinAll(gathered, size));
      gathered = [];
      size = 0;
    }
  }
  if (size) await take(joinAll(gathered, size));
  const [k, len] = plan.finish();
  await openChunks(plan, key, sink, k, k + 1, () => pending.subarray(0, len));
  plan.checkFinished();
}

// Opens chunks first..end-1 together; on a tag failure, throws the plan's
// refusal for the first chunk (in order) that failed, as the core would.
async function openChunks(plan, key, sink, first, end, bytesOf) {
  if (first >= end) return;
  const calls = [];
  for (let k = first; k < end; k++) {
    calls.push(crypto.subtle.decrypt({ name: 'AES-GCM', iv: /** @type {BufferSource} */ (plan.nonce(k)) }, key, bytesOf(k)));
  }
  const results = await Promise.allSettled(calls);
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) throw plan.damaged(first + failed);
  for (const r of results) sink.push(new Uint8Array(/** @type {PromiseFulfilledResult<ArrayBuffer>} */ (r).value));
}

function joinAll(parts, size) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concat(a, b) {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
