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

// Reads a Blob/File/Response body as a sequence of Uint8Array pieces.
export async function* pieces(stream) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** `a` then `b` in one array (`b` itself when `a` is empty). */
export function concat(a, b) {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
