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

import { join, owned } from '../lib/bytes.js';

/** Full chunks in 1 MiB; windows are a few of these. */
const WINDOW = 64;

/** @param {Uint8Array} raw 32 bytes */
export async function importChunkKey(raw) {
  return crypto.subtle.importKey('raw', /** @type {BufferSource} */ (raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Chunks in one window of a sealing job: 256 × 16 KiB = 4 MiB. */
const SEAL_WINDOW = 256;

/**
 * One window of a sealing job, as a worker (or the calling thread) runs it:
 * reads plaintext bytes `start..end` of `file`, seals each chunk's range
 * (relative to the file) under its nonce, and returns the sealed chunks, in
 * order, as one array. The ranges and nonces are the core's.
 * @param {CryptoKey} key
 * @param {Blob} file
 * @param {number} start
 * @param {number} end
 * @param {number[][]} ranges
 * @param {Uint8Array[]} nonces
 */
export async function sealWindow(key, file, start, end, ranges, nonces) {
  const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
  if (bytes.length !== end - start) throw new Error(`the file changed while it was being sealed (read ${bytes.length} of ${end - start} bytes at ${start})`);
  const calls = ranges.map(([a, b], i) =>
    crypto.subtle.encrypt({ name: 'AES-GCM', iv: /** @type {BufferSource} */ (nonces[i]) }, key, bytes.subarray(a - start, b - start)),
  );
  return gather(await Promise.all(calls));
}

/**
 * WebCrypto's results, in order, as one array. Windows travel as byte arrays
 * (transferred between threads), not Blobs: a Blob's bytes sit in the
 * browser process until the page that made it collects its garbage, which
 * nothing prompts, so memory would grow with the file.
 * @param {ArrayBuffer[]} results
 */
function gather(results) {
  const out = new Uint8Array(results.reduce((n, r) => n + r.byteLength, 0));
  let at = 0;
  for (const r of results) {
    out.set(new Uint8Array(r), at);
    at += r.byteLength;
  }
  return out;
}

/**
 * Seals `file`'s bytes by `plan` (the core's SealPlan for file.size bytes),
 * pushing the sealed content to `sink` in order, a window (4 MiB) at a time.
 * With `pool` (see startPool), windows are read and sealed on the workers,
 * two per worker in flight, so reading the file and AES run on every core;
 * without, on this thread. The file is never whole in memory here.
 * `progress(bytesSealed)` is called after each window.
 * @param {Blob} file
 * @param {{ chunks(): number, range(k: number): Iterable<number> & ArrayLike<number>, nonce(k: number): Uint8Array }} plan
 * @param {CryptoKey} key
 * @param {{ push(bytes: Uint8Array): void | Promise<void> }} sink
 * @param {(done: number) => void} [progress]
 * @param {{ cancelled?: boolean }} [control] set `cancelled` to stop at the next window
 * @param {Pool | null} [pool]
 */
export async function sealBlob(file, plan, key, sink, progress = () => {}, control = {}, pool = null) {
  const chunks = plan.chunks();
  const windows = Math.ceil(chunks / SEAL_WINDOW);
  const job = (w) => {
    const first = w * SEAL_WINDOW;
    const last = Math.min(first + SEAL_WINDOW, chunks) - 1;
    const ranges = [];
    const nonces = [];
    for (let k = first; k <= last; k++) {
      ranges.push([...plan.range(k)]);
      nonces.push(plan.nonce(k));
    }
    const start = ranges[0][0];
    const end = ranges[ranges.length - 1][1];
    const sealed = /** @type {Promise<Uint8Array>} */ (pool ? pool.run({ op: 'seal', file, start, end, ranges, nonces }) : sealWindow(key, file, start, end, ranges, nonces));
    return { end, sealed };
  };
  const depth = pool ? 2 * pool.size : 2;
  const inFlight = [];
  let next = 0;
  const fill = () => {
    while (next < windows && inFlight.length < depth) inFlight.push(job(next++));
  };
  try {
    fill();
    while (inFlight.length) {
      const { end, sealed } = /** @type {{ end: number, sealed: Promise<Uint8Array> }} */ (inFlight.shift());
      const bytes = await sealed;
      if (control.cancelled) throw Object.assign(new Error('cancelled: nothing was sent'), { code: 'cancelled' });
      await sink.push(bytes);
      fill();
      progress(end);
    }
  } finally {
    for (const w of inFlight) w.sealed.catch(() => {});
  }
}

/**
 * @typedef {{ size: number, run(job: object): Promise<Uint8Array | { failed: number }>, stop(): void }} Pool
 */

/** Files of this size and more are sealed or opened on workers; starting
 * them costs a few milliseconds, which a small file does not repay. */
const POOL_FROM = 16 << 20;

/**
 * Runs `work(key, pool)` for one file of `size` bytes under `plan`'s key:
 * the key imported as a non-extractable CryptoKey, workers from POOL_FROM on
 * (none if they cannot start: the work runs on this thread), the raw key wiped
 * once imported; on every path the workers stop and the plan is freed.
 * @template T
 * @param {{ aesKey(): Uint8Array, free(): void }} plan
 * @param {number} size
 * @param {(key: CryptoKey, pool: Pool | null) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function withFileKey(plan, size, work) {
  const raw = plan.aesKey();
  let pool = null;
  try {
    const key = await importChunkKey(raw);
    pool = size >= POOL_FROM ? await startPool(raw).catch(() => null) : null;
    raw.fill(0);
    return await work(key, pool);
  } finally {
    raw.fill(0);
    pool?.stop();
    plan.free();
  }
}

/**
 * Workers that seal or open windows (bulk/worker.js), each with its own
 * non-extractable copy of the key. Only for extension pages.
 *
 * One per core but one, up to three: the bytes also cross the browser
 * process and the page's renderer, which need a core of their own. On two
 * cores one worker seals as fast as two (2 GiB, interleaved runs: 62-67
 * against 60-64 MB/s), and every worker is an engine instance of its own
 * that lets spent windows pile up before it collects them: the extension's
 * renderer grew by 113-116 MiB with one worker, 192-195 MiB with two
 * (docs/PERFORMANCE.md).
 * @param {Uint8Array} raw the AES key; the caller wipes it after
 * @returns {Promise<Pool>}
 */
async function startPool(raw) {
  const size = Math.max(1, Math.min(3, (navigator.hardwareConcurrency || 2) - 1));
  const workers = [];
  try {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      workers.push({ w, queue: 0 });
      await new Promise((ok, fail) => {
        w.onmessage = ({ data }) => (data?.ready ? ok(undefined) : fail(new Error(data?.error ?? 'the worker did not start')));
        w.onerror = (e) => fail(new Error(`the worker did not start (${e.message})`));
        // A copy of the key moves to the worker (transferred: none is left here).
        const copy = raw.slice();
        w.postMessage({ raw: copy }, [copy.buffer]);
      });
    }
  } catch (e) {
    for (const { w } of workers) w.terminate();
    throw e;
  }
  const pending = new Map();
  let nextId = 1;
  /** @type {Error | null} once a worker has failed, the pool takes no more work */
  let dead = null;
  for (const entry of workers) {
    entry.w.onmessage = ({ data }) => {
      const call = pending.get(data?.id);
      if (!call) return;
      pending.delete(data.id);
      entry.queue--;
      if (data.bytes instanceof Uint8Array) call.ok(data.bytes);
      else if (Number.isInteger(data.failed)) call.ok({ failed: data.failed });
      else call.fail(new Error(data.error ?? 'an OrgSeal worker failed'));
    };
    entry.w.onerror = (e) => {
      dead = new Error(`an OrgSeal worker failed (${e.message})`);
      for (const call of pending.values()) call.fail(dead);
      pending.clear();
    };
  }
  return {
    size,
    run(job) {
      if (dead) return Promise.reject(dead);
      const entry = workers.reduce((a, b) => (b.queue < a.queue ? b : a));
      entry.queue++;
      const id = nextId++;
      return new Promise((ok, fail) => {
        pending.set(id, { ok, fail });
        // Window bytes move to the worker (transferred, not copied).
        const bytes = /** @type {any} */ (job).bytes;
        entry.w.postMessage({ id, ...job }, bytes ? [bytes.buffer] : []);
      });
    },
    stop() {
      for (const { w } of workers) w.terminate();
      for (const call of pending.values()) call.fail(new Error('stopped'));
      pending.clear();
    },
  };
}

/**
 * One window of an opening job, as a worker (or the calling thread) runs it:
 * opens each sealed chunk of `bytes` (lengths and nonces are the core's) and
 * returns the plaintext as one array, or `{ failed: i }` for the first chunk,
 * in order, whose tag did not verify.
 * @param {CryptoKey} key
 * @param {Uint8Array} bytes
 * @param {number[]} lengths
 * @param {Uint8Array[]} nonces
 * @returns {Promise<Uint8Array | { failed: number }>}
 */
export async function openWindow(key, bytes, lengths, nonces) {
  let at = 0;
  const calls = lengths.map((len, i) => {
    const sealed = bytes.subarray(at, at + len);
    at += len;
    return crypto.subtle.decrypt({ name: 'AES-GCM', iv: /** @type {BufferSource} */ (nonces[i]) }, key, /** @type {BufferSource} */ (sealed));
  });
  const results = await Promise.allSettled(calls);
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) return { failed };
  return gather(results.map((r) => /** @type {PromiseFulfilledResult<ArrayBuffer>} */ (r).value));
}

/**
 * Opens content arriving as `pieces` (after the prefix) by `plan` (the core's
 * OpenPlan), pushing plaintext to `sink` in order. Nothing here decides what a
 * chunk is, whether the stream was cut, or whether the size is right: the plan
 * does, and its refusals are thrown as they are. Windows of about 4 MiB are
 * opened on `pool`'s workers (or on this thread), several in flight while the
 * next bytes arrive.
 * @param {AsyncIterable<Uint8Array>} pieces
 * @param {{ push(n: number): Iterable<number> & ArrayLike<number>, checkReleased(): void, checkLength(): number, finish(): Iterable<number> & ArrayLike<number>, checkFinished(): number,
 *   nonce(k: number): Uint8Array, damaged(k: number): any }} plan
 * @param {CryptoKey} key
 * @param {{ push(bytes: Uint8Array): void | Promise<void> }} sink
 * @param {Uint8Array} [head] content bytes that arrived with the prefix
 * @param {(done: number) => void} [progress]
 * @param {Pool | null} [pool]
 */
export async function openPieces(pieces, plan, key, sink, head = new Uint8Array(0), progress = () => {}, pool = null) {
  const SEALED = 16400; // a full chunk; which chunks are full is the plan's call
  const depth = pool ? 2 * pool.size : 2;
  /** @type {{ first: number, bytes: number, opened: Promise<Uint8Array | { failed: number }> }[]} */
  const inFlight = [];
  let done = 0;
  // The first refusal met on the way (a chunk whose tag failed, plaintext past
  // the metadata's size): nothing more is opened, the rest of the stream is
  // only counted, and it is thrown at the end, after the length's own checks
  // (FORMAT.md §8.1: every reader gives a file with two faults one code).
  /** @type {unknown} */
  let failure = null;
  // Hands the oldest window's plaintext to the sink, or holds the plan's
  // refusal for its first bad chunk.
  const drain = async (keep) => {
    while (inFlight.length > keep) {
      const w = /** @type {typeof inFlight[0]} */ (inFlight.shift());
      const out = await w.opened;
      if (failure) continue;
      if (!(out instanceof Uint8Array)) {
        failure = plan.damaged(w.first + out.failed);
        continue;
      }
      await sink.push(out);
      done += w.bytes;
      progress(done);
    }
  };
  // `bytes` starts with the window's chunks, `lengths` long in all; what
  // follows them is not read (the window is handed over whole, not copied).
  const open = (first, lengths, bytes) => {
    const nonces = lengths.map((_, i) => plan.nonce(first + i));
    const opened = pool ? pool.run({ op: 'open', bytes, lengths, nonces }) : openWindow(key, bytes, lengths, nonces);
    inFlight.push({ first, bytes: lengths.reduce((n, l) => n + l, 0), opened });
  };
  // Sealed bytes the plan has not released yet (at most a chunk or two).
  let pending = new Uint8Array(0);
  // Takes `parts` (`size` bytes) after `pending`: copied once into one array,
  // whose released chunks are opened as a window and whose tail waits.
  const take = async (parts, size) => {
    if (failure) {
      plan.push(size); // counted only
      return;
    }
    const bytes = join([pending, ...parts], pending.length + size);
    const [first, end] = plan.push(size);
    const used = (end - first) * SEALED;
    // A copy of the tail first: the window's array may move to a worker.
    pending = bytes.slice(used);
    if (end > first) open(first, new Array(end - first).fill(SEALED), owned(bytes));
    await drain(depth - 1);
    if (failure) return;
    try {
      plan.checkReleased();
    } catch (e) {
      failure = e;
    }
  };
  const WANT = 4 * WINDOW * SEALED;
  let gathered = [head];
  let size = head.length;
  try {
    for await (const piece of pieces) {
      gathered.push(piece);
      size += piece.length;
      if (size >= WANT) {
        await take(gathered, size);
        gathered = [];
        size = 0;
      }
    }
    if (size) await take(gathered, size);
    await drain(0);
    // The length decides first (`truncated`, `size-mismatch`), then a refusal held.
    plan.checkLength();
    if (failure) throw failure;
    const [k, len] = plan.finish();
    open(k, [len], pending.slice(0, len));
    await drain(0);
    if (failure) throw failure;
    plan.checkFinished();
  } finally {
    for (const w of inFlight) w.opened.catch(() => {});
  }
}
