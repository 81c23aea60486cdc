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
//
// Both directions are one pipeline, read top to bottom:
//   seal: file -> windows of 256 chunks -> AES on a worker, each result
//         copied into the window's output array -> sink
//   open: download -> windows, read straight into a reused array -> AES on a
//         worker, likewise -> sink
// A window's arrays go to the worker and come back with its answer, and are
// used again for a later window: a run of gigabytes leaves no trail of spent
// arrays for the engine to collect late (docs/PERFORMANCE.md). Output arrays
// come back too where the sink is done with the bytes once its push resolved
// (`sink.consumes`); a sink that keeps or hands them on gets fresh ones.

import { Buffers } from '../lib/bytes.js';

/** @param {Uint8Array} raw 32 bytes */
export async function importChunkKey(raw) {
  return crypto.subtle.importKey('raw', /** @type {BufferSource} */ (raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Plaintext bytes of a full chunk, and the same sealed (with its tag). */
const PLAIN = 16384;
const SEALED = PLAIN + 16;
/** Chunks in one window: 256 × 16 KiB = 4 MiB. */
const WINDOW = 256;

/** The `i`th 12-byte nonce of a window's nonces, as a view (no copy). */
const nth = (nonces, i) => /** @type {BufferSource} */ (nonces.subarray(12 * i, 12 * i + 12));

/**
 * @typedef {{ push(bytes: Uint8Array): void | Promise<void>, consumes?: boolean }} Sink
 * `consumes`: once `push` has resolved, the sink holds nothing of `bytes`
 * (written to disk, or copied on), so the array may be used again.
 */

/**
 * One window of a sealing job, as a worker (or the calling thread) runs it:
 * reads the plaintext the window covers from `file` (`bounds[0]` to its last
 * entry), seals chunk `i` (`[bounds[i], bounds[i + 1])` of the file) under the
 * `i`th nonce, each result copied into `output` in order, and returns the
 * sealed window (a view of `output`). Bounds and nonces are the core's, for
 * the whole window in one call each.
 *
 * The plaintext is read with `arrayBuffer()`, a new array each window, not
 * into a reused one: a BYOB read of a File's stream in Chromium stopped
 * answering now and then (two windows read at once on one worker; a 1.5 GiB
 * seal stalled after 34 and after 122 windows), and the default reader's
 * pieces copied into a reused array cost a copy more for no less memory
 * (docs/PERFORMANCE.md, run 6).
 * @param {CryptoKey} key
 * @param {Blob} file
 * @param {ArrayLike<number>} bounds
 * @param {Uint8Array} nonces
 * @param {Uint8Array} output room for the window's sealed chunks
 */
export async function sealWindow(key, file, bounds, nonces, output) {
  const start = bounds[0];
  const length = bounds[bounds.length - 1] - start;
  const plain = new Uint8Array(await file.slice(start, start + length).arrayBuffer());
  if (plain.length !== length) throw new Error(`the file changed while it was being sealed (read ${plain.length} of ${length} bytes at ${start})`);
  const calls = new Array(bounds.length - 1);
  for (let i = 0; i < calls.length; i++) {
    const from = bounds[i] - start;
    const to = bounds[i + 1] - start;
    const at = from + 16 * i;
    calls[i] = crypto.subtle
      .encrypt({ name: 'AES-GCM', iv: nth(nonces, i) }, key, /** @type {BufferSource} */ (plain.subarray(from, to)))
      .then((sealed) => output.set(new Uint8Array(sealed), at));
  }
  await Promise.all(calls);
  return { bytes: output.subarray(0, length + 16 * calls.length) };
}

/**
 * Seals `file`'s bytes by `plan` (the core's SealPlan for file.size bytes),
 * pushing the sealed content to `sink` in order, a window (4 MiB) at a time.
 * With `pool` (see startPool), windows are read and sealed on the workers,
 * two per worker in flight, so reading the file and AES run on every core;
 * without, on this thread. The file is never whole in memory here.
 * `progress(bytesSealed)` is called after each window.
 * @param {Blob} file
 * @param {{ chunks(): number, bounds(first: number, count: number): ArrayLike<number>, nonces(first: number, count: number): Uint8Array }} plan
 * @param {CryptoKey} key
 * @param {Sink} sink
 * @param {(done: number) => void} [progress]
 * @param {{ cancelled?: boolean }} [control] set `cancelled` to stop at the next window
 * @param {Pool | null} [pool]
 */
export async function sealBlob(file, plan, key, sink, progress = () => {}, control = {}, pool = null) {
  const chunks = plan.chunks();
  const windows = Math.ceil(chunks / WINDOW);
  const outputs = new Buffers(Math.min(WINDOW * SEALED, file.size + 16 * chunks));
  /** @param {number} w */
  const job = (w) => {
    const first = w * WINDOW;
    const count = Math.min(WINDOW, chunks - first);
    const bounds = plan.bounds(first, count);
    const nonces = plan.nonces(first, count);
    const output = sink.consumes ? outputs.take() : new Uint8Array(outputs.size);
    const sealed = pool ? pool.run({ op: 'seal', file, bounds, nonces, output }, [output.buffer]) : sealWindow(key, file, bounds, nonces, output);
    return { end: bounds[count], sealed };
  };
  const depth = pool ? 2 * pool.size : 2;
  /** @type {ReturnType<typeof job>[]} */
  const inFlight = [];
  let next = 0;
  const fill = () => {
    while (next < windows && inFlight.length < depth) inFlight.push(job(next++));
  };
  try {
    fill();
    while (inFlight.length) {
      const { end, sealed } = /** @type {ReturnType<typeof job>} */ (inFlight.shift());
      const { bytes } = /** @type {{ bytes: Uint8Array }} */ (await sealed);
      if (control.cancelled) throw Object.assign(new Error('cancelled: nothing was sent'), { code: 'cancelled' });
      await sink.push(bytes);
      if (sink.consumes) outputs.give(bytes);
      fill();
      progress(end);
    }
  } finally {
    for (const w of inFlight) w.sealed.catch(() => {});
  }
}

/**
 * @typedef {{ size: number, run(job: object, transfer: ArrayBufferLike[]): Promise<{ bytes?: Uint8Array, input?: Uint8Array, failed?: number }>, stop(): void }} Pool
 */

/** Files of this size and more are sealed or opened on workers; starting
 * them costs a few milliseconds, which a small file does not repay. */
const POOL_FROM = 16 << 20;

/**
 * One file's cipher under `plan`'s key: the key imported as a non-extractable
 * CryptoKey, and workers from POOL_FROM on (none if they cannot start: the
 * work then runs on this thread). The raw key is wiped once imported.
 * `close()` stops the workers and frees the plan: call it on every path.
 * @param {{ aesKey(): Uint8Array, free(): void }} plan
 * @param {number} size
 * @returns {Promise<{ key: CryptoKey, pool: Pool | null, close(): void }>}
 */
export async function fileCipher(plan, size) {
  const raw = plan.aesKey();
  try {
    const key = await importChunkKey(raw);
    const pool = size >= POOL_FROM ? await startPool(raw).catch(() => null) : null;
    return {
      key,
      pool,
      close() {
        pool?.stop();
        plan.free();
      },
    };
  } catch (e) {
    plan.free();
    throw e;
  } finally {
    raw.fill(0);
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
      if (data.bytes instanceof Uint8Array || Number.isInteger(data.failed)) call.ok(data);
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
    run(job, transfer) {
      if (dead) return Promise.reject(dead);
      const entry = workers.reduce((a, b) => (b.queue < a.queue ? b : a));
      entry.queue++;
      const id = nextId++;
      return new Promise((ok, fail) => {
        pending.set(id, { ok, fail });
        // The window's arrays move to the worker (transferred, not copied)
        // and come back with its answer.
        entry.w.postMessage({ id, ...job }, transfer);
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
 * opens the sealed chunks at the start of `input` (lengths and nonces are the
 * core's), each plaintext copied into `output` in order. Returns the opened
 * window (a view of `output`) or `failed`, the first chunk, in order, whose
 * tag did not verify; and `input`, to use again.
 * @param {CryptoKey} key
 * @param {Uint8Array} input
 * @param {number[]} lengths
 * @param {Uint8Array} nonces 12 bytes a chunk, one after the other
 * @param {Uint8Array} output
 * @returns {Promise<{ bytes?: Uint8Array, failed?: number, input: Uint8Array }>}
 */
export async function openWindow(key, input, lengths, nonces, output) {
  let at = 0;
  let out = 0;
  const calls = new Array(lengths.length);
  for (let i = 0; i < calls.length; i++) {
    const to = out;
    calls[i] = crypto.subtle
      .decrypt({ name: 'AES-GCM', iv: nth(nonces, i) }, key, /** @type {BufferSource} */ (input.subarray(at, at + lengths[i])))
      .then((plain) => output.set(new Uint8Array(plain), to));
    at += lengths[i];
    out += lengths[i] - 16;
  }
  const results = await Promise.allSettled(calls);
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) return { failed, input };
  return { bytes: output.subarray(0, out), input };
}

/**
 * Opens content arriving on `reader` (lib/bytes.js byteReader, after the
 * prefix) by `plan` (the core's OpenPlan), pushing plaintext to `sink` in
 * order. Nothing here decides what a chunk is, whether the stream was cut, or
 * whether the size is right: the plan does, and its refusals are thrown as
 * they are. The download is read straight into window arrays of about 4 MiB,
 * opened on `pool`'s workers (or on this thread), several in flight while the
 * next bytes arrive.
 * @param {{ fill(buf: Uint8Array, at: number, end: number): Promise<{ buf: Uint8Array, at: number }>, ended: boolean }} reader
 * @param {{ push(n: number): Iterable<number> & ArrayLike<number>, checkReleased(): void, checkLength(): number, finish(): Iterable<number> & ArrayLike<number>, checkFinished(): number,
 *   nonces(first: number, count: number): Uint8Array, damaged(k: number): any }} plan
 * @param {CryptoKey} key
 * @param {Sink} sink
 * @param {(done: number) => void} [progress]
 * @param {Pool | null} [pool]
 * @param {number | null} [size] the plaintext's size, where the sealed file
 *   records it: the window arrays are no larger than it needs (a longer
 *   stream is read all the same, a window at a time, and refused by the plan)
 */
export async function openPieces(reader, plan, key, sink, progress = () => {}, pool = null, size = null) {
  const depth = pool ? 2 * pool.size : 2;
  // A window array holds up to WINDOW chunks after what the plan held back
  // from the last one (at most a chunk and its tag); for a file whose size is
  // known, no more than it needs (two chunks at least, so that a full array
  // always holds one the plan can release).
  const chunks = size === null ? WINDOW : Math.min(WINDOW, Math.floor(size / PLAIN) + 1);
  const inputs = new Buffers((chunks + 1) * SEALED);
  const outputs = new Buffers((chunks + 1) * PLAIN);
  /** @type {{ first: number, bytes: number, opened: Promise<{ bytes?: Uint8Array, failed?: number, input?: Uint8Array }> }[]} */
  const inFlight = [];
  let done = 0;
  // The first refusal met on the way (a chunk whose tag failed, plaintext past
  // the metadata's size): nothing more is opened, the rest of the stream is
  // only counted, and it is thrown at the end, after the length's own checks
  // (FORMAT.md §8.1: every reader gives a file with two faults one code).
  /** @type {unknown} */
  let failure = null;
  // Hands the oldest windows' plaintext to the sink until `keep` are left, or
  // holds the plan's refusal for the first bad chunk.
  const drain = async (keep) => {
    while (inFlight.length > keep) {
      const w = /** @type {typeof inFlight[0]} */ (inFlight.shift());
      const out = await w.opened;
      inputs.give(out.input);
      if (failure) continue;
      if (!out.bytes) {
        failure = plan.damaged(w.first + /** @type {number} */ (out.failed));
        continue;
      }
      await sink.push(out.bytes);
      if (sink.consumes) outputs.give(out.bytes);
      done += w.bytes;
      progress(done);
    }
  };
  // Opens chunks `first..` of `input`, `lengths` long (the input array goes
  // to the worker and comes back).
  const open = (first, lengths, input) => {
    const nonces = plan.nonces(first, lengths.length);
    const output = sink.consumes ? outputs.take() : new Uint8Array(outputs.size);
    const opened = pool
      ? pool.run({ op: 'open', input, lengths, nonces, output }, [input.buffer, output.buffer])
      : openWindow(key, input, lengths, nonces, output);
    inFlight.push({ first, bytes: lengths.reduce((n, l) => n + l, 0), opened });
  };
  // `buf[0..at)`: sealed bytes read and not yet opened.
  let buf = inputs.take();
  let at = 0;
  try {
    while (!reader.ended) {
      const before = at;
      ({ buf, at } = await reader.fill(buf, at, buf.length));
      const [first, end] = plan.push(at - before);
      if (failure) {
        at = 0; // only counted
        continue;
      }
      // A full array always holds chunks the plan can release; one that
      // released none would be read into again for ever.
      if (at === buf.length && end === first) throw new Error('OrgSeal could not open this download: a window of it was full and held no whole chunk (a bug; please report it)');
      // The released chunks go to be opened; the rest waits, copied to the
      // start of the next window's array.
      const used = (end - first) * SEALED;
      if (end > first) {
        const next = inputs.take();
        next.set(buf.subarray(used, at));
        open(first, new Array(end - first).fill(SEALED), buf);
        buf = next;
        at -= used;
      }
      await drain(depth - 1);
      if (failure) continue;
      try {
        plan.checkReleased();
      } catch (e) {
        failure = e;
      }
    }
    await drain(0);
    // The length decides first (`truncated`, `size-mismatch`), then a refusal held.
    plan.checkLength();
    if (failure) throw failure;
    const [k, len] = plan.finish();
    open(k, [len], buf);
    await drain(0);
    if (failure) throw failure;
    plan.checkFinished();
  } finally {
    for (const w of inFlight) w.opened.catch(() => {});
  }
}
