// @ts-check
// Byte helpers shared by the extension's own pages and the background.
// (Where large outputs are assembled is bulk/spool.js.)
// Runtime messaging in Chrome carries JSON only, so bytes cross it as base64.

export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Reads a byte stream (a download's body) into arrays the
 * caller owns and reuses, so that no array is made per piece that arrives:
 * with a BYOB reader where the stream has one (fetch bodies in Chromium),
 * else the pieces of the default reader copied in.
 *
 * `fill(buf, at, end)` reads until `buf[at..end)` is full or the stream ends,
 * and returns `{ buf, at }`: `buf` is the array to use from then on (a BYOB
 * read moves the memory to a new ArrayBuffer and leaves the old one empty),
 * `at` how far it is filled, below `end` only once the stream has ended.
 * `buf` must own its whole buffer.
 * @param {ReadableStream<Uint8Array>} stream
 */
export function byteReader(stream) {
  /** @type {any} */
  let reader;
  let byob = false;
  try {
    reader = stream.getReader(/** @type {any} */ ({ mode: 'byob' }));
    byob = true;
  } catch {
    reader = stream.getReader();
  }
  let rest = new Uint8Array(0);
  let ended = false;
  return {
    /**
     * @param {Uint8Array} buf
     * @param {number} at
     * @param {number} end
     * @returns {Promise<{ buf: Uint8Array, at: number }>}
     */
    async fill(buf, at, end) {
      while (at < end && !ended) {
        if (byob) {
          const { value, done } = await reader.read(new Uint8Array(buf.buffer, at, end - at));
          if (value) buf = new Uint8Array(value.buffer);
          at += value?.length ?? 0;
          if (done) ended = true;
        } else {
          if (!rest.length) {
            const { value, done } = await reader.read();
            if (done) {
              ended = true;
              break;
            }
            rest = value;
          }
          const n = Math.min(rest.length, end - at);
          buf.set(rest.subarray(0, n), at);
          at += n;
          rest = rest.subarray(n);
        }
      }
      return { buf, at };
    },
    /** Whether the stream has ended (a `fill` came back short). */
    get ended() {
      return ended;
    },
    /** Stops the stream (read no more): on a failure, so that the rest of
     * a download is not fetched for nobody. */
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

/**
 * Arrays of one size, given back once used and taken again, so that a long
 * run of windows does not leave a trail of spent arrays behind for the
 * engine to collect (it collects late: docs/PERFORMANCE.md).
 */
export class Buffers {
  /** @param {number} size */
  constructor(size) {
    this.size = size;
    /** @type {Uint8Array[]} */
    this.free = [];
  }
  take() {
    return this.free.pop() ?? new Uint8Array(this.size);
  }
  /** @param {Uint8Array | undefined} bytes a view of an array taken here (its whole buffer comes back) */
  give(bytes) {
    if (bytes && bytes.buffer.byteLength === this.size && this.free.length < 8) this.free.push(new Uint8Array(bytes.buffer));
  }
}

/** The arrays `parts`, `size` bytes in all, in one array. */
export function join(parts, size) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `bytes` as an array that owns its whole buffer, so that the buffer can be
 * transferred to another thread without carrying other bytes along: itself
 * when it does, else a copy.
 * @param {Uint8Array} bytes
 */
export function owned(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
