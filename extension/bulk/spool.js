// @ts-check
// Where a large sealed or opened file is assembled: the extension origin's
// private file system (OPFS), on disk, so that the browser's memory does not
// grow with the file. `getFile()` on the finished file gives a disk-backed
// File. Small files stay in memory (a Blob), where they are faster.
//
// Spool files are named `spool-<kind>-<time>-<random>`, kind `seal` (sealed
// bytes of an upload) or `open` (an opened download's plaintext); each
// extension page removes its own when it goes away, and any left by a crash
// on start.

import { join } from '../lib/bytes.js';

/** Files at least this large are spooled to disk. */
export const SPOOL_FROM = 64 << 20;
const STALE_MS = 24 * 3600 * 1000;
/** Bytes gathered in memory before a Blob is folded (memory sinks)… */
const WRITE_BYTES = 8 << 20;
/** …and before a write to disk; a part of a quarter of this or more (a
 * window of the workers, 4 MiB) is written as it comes, without being copied
 * into a larger array first. */
const DISK_WRITE_BYTES = 4 << 20;

const mine = new Set();

/** Memory sink: collects bytes into a Blob, folding parts in every few MiB. */
export class MemorySink {
  constructor(type = 'application/octet-stream') {
    /** @type {string | undefined} memory sinks have no spool file */
    this.name = undefined;
    this.type = type;
    this.blob = new Blob([], { type });
    this.parts = [];
    this.pending = 0;
    /** `push` keeps the arrays it is given (until they are folded into the Blob). */
    this.consumes = false;
  }
  /** @param {Uint8Array} bytes */
  push(bytes) {
    if (!bytes.length) return;
    this.parts.push(bytes);
    this.pending += bytes.length;
    if (this.pending >= WRITE_BYTES) this.flush();
  }
  flush() {
    this.blob = new Blob([this.blob, ...this.parts], { type: this.type });
    this.parts = [];
    this.pending = 0;
  }
  async finish() {
    this.flush();
    return this.blob;
  }
  async discard() {
    this.parts = [];
    this.blob = new Blob([]);
  }
}

/** Disk sink: writes to a new OPFS file; `finish()` gives its disk-backed File. */
export class SpoolSink {
  /**
   * @param {string} type
   * @param {'seal' | 'open'} kind
   * @param {number} [reserve] the file's exact final length, when known: the
   *   space is reserved at once (growing the file write by write halves the
   *   writing speed in Chromium)
   */
  static async create(type, kind, reserve) {
    const dir = await navigator.storage.getDirectory();
    const name = `spool-${kind}-${Date.now()}-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
    const handle = await dir.getFileHandle(name, { create: true });
    mine.add(name);
    const writable = await handle.createWritable();
    const sink = new SpoolSink(dir, name, handle, writable, type);
    if (reserve) {
      try {
        await writable.truncate(reserve);
      } catch (e) {
        await sink.discard();
        // No room on disk: the file is refused, not built in memory instead.
        throw Object.assign(new Error(`there is no room on disk for this file (${reserve} bytes: ${e?.message ?? e}); free some space and try again`), {
          code: 'no-room',
        });
      }
      sink.reserved = reserve;
    }
    return sink;
  }
  /**
   * @param {FileSystemDirectoryHandle} dir
   * @param {string} name
   * @param {FileSystemFileHandle} handle
   * @param {FileSystemWritableFileStream} writable
   * @param {string} type
   */
  constructor(dir, name, handle, writable, type) {
    this.dir = dir;
    this.name = name;
    this.handle = handle;
    this.writable = writable;
    this.type = type;
    /** @type {Uint8Array[]} */
    this.parts = [];
    this.pending = 0;
    this.written = 0;
    /** @type {number | undefined} */
    this.reserved = undefined;
    /** `push` keeps nothing once it resolved. */
    this.consumes = true;
  }
  /**
   * Writes `bytes`; once this resolves, nothing of them is kept (the caller
   * may use the array again: `consumes`). A window is written as it comes;
   * small parts (a prefix) are copied and written with what follows.
   * @param {Uint8Array} bytes
   */
  async push(bytes) {
    if (!bytes.length) return;
    if (bytes.length >= DISK_WRITE_BYTES / 4) {
      await this.flush();
      await this.writable.write(/** @type {BufferSource} */ (bytes));
      this.written += bytes.length;
      return;
    }
    this.parts.push(bytes.slice());
    this.pending += bytes.length;
    if (this.pending >= DISK_WRITE_BYTES) await this.flush();
  }
  async flush() {
    if (!this.parts.length) return;
    // Bytes, not a Blob: a Blob's bytes would stay in the browser process
    // until this page next collects its garbage, which nothing hurries.
    const bytes = join(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    await this.writable.write(bytes);
    this.written += bytes.length;
  }
  async finish() {
    await this.flush();
    if (this.reserved !== undefined && this.written !== this.reserved) {
      throw new Error(`wrote ${this.written} bytes where ${this.reserved} were expected`);
    }
    await this.writable.close();
    // A typed Blob over the disk-backed File: without a type, the browser
    // guesses one from the bytes when it saves, and renames the file after it.
    return new Blob([await this.handle.getFile()], { type: this.type });
  }
  async discard() {
    this.parts = [];
    await this.writable.abort().catch(() => {});
    await remove(this.name);
  }
}

/**
 * Where a file of about `size` bytes is assembled: on disk from SPOOL_FROM on
 * (and where OPFS works), else in memory. The caller pushes the bytes in
 * order, then takes the file with `finish()` (its spool file is `name`, if
 * on disk), or on any error calls `discard()`, which removes what was
 * written.
 * @param {number} size
 * @param {string | undefined} type
 * @param {'seal' | 'open'} kind what the bytes are (the spool file's name says it)
 * @param {boolean} [exact] `size` is the exact length: a spool file reserves it
 * @returns {Promise<MemorySink | SpoolSink>}
 */
export async function openSink(size, type = 'application/octet-stream', kind, exact = false) {
  if (size >= SPOOL_FROM && navigator.storage?.getDirectory) {
    try {
      return await SpoolSink.create(type, kind, exact ? size : undefined);
    } catch (e) {
      if (e?.code === 'no-room') throw e;
      console.warn(`OrgSeal: no disk spool here (${e?.message ?? e}); this file is assembled in memory`);
    }
  }
  return new MemorySink(type);
}

async function remove(name) {
  mine.delete(name);
  const dir = await navigator.storage.getDirectory();
  await dir.removeEntry(name).catch(() => {});
}

/** Removes this page's spool files (when it goes away), or one of them. */
export async function removeSpool(name) {
  if (name) return remove(name);
  await Promise.all([...mine].map(remove));
}

/**
 * Removes spool files of `kind` older than `maxAgeMs` (left by a crash). The
 * opener, the only one of its kind, removes every `open` file before its
 * first download: an opened download's plaintext must not outlive the page
 * that made it. Sealers remove `seal` files a day old (another tab's sealer
 * may be using a newer one).
 * @param {'seal' | 'open'} kind
 * @param {number} [maxAgeMs]
 */
export async function sweepStale(kind, maxAgeMs = STALE_MS) {
  if (!navigator.storage?.getDirectory) return;
  const dir = await navigator.storage.getDirectory();
  // @ts-ignore: entries() is an async iterator on FileSystemDirectoryHandle
  for await (const [name] of dir.entries()) {
    // Names without a kind are from an older version and may hold opened
    // plaintext: the opener removes them at once.
    const m = /^spool-(?:(seal|open)-)?(\d+)-/.exec(name);
    if (!m || mine.has(name) || (m[1] ?? 'open') !== kind) continue;
    if (Date.now() - Number(m[2]) >= maxAgeMs) await dir.removeEntry(name).catch(() => {});
  }
}
