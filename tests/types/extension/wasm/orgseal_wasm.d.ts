// Types of extension/wasm/orgseal_wasm.js, the module wasm-bindgen writes at
// build time (with --no-typescript, and not committed), as extension/lib/wasm.js
// uses it. tsconfig.json's rootDirs lays this folder over the repository, so
// that on a checkout not built yet `../wasm/orgseal_wasm.js` resolves here;
// once built, TypeScript reads the generated module's own JSDoc instead. Keep
// in step with crates/orgseal-wasm (the same types as that JSDoc).

/** The core's plan for opening one file's content with AES-GCM run in WebCrypto. */
export class OpenPlan {
  free(): void;
  constructor(chunk_key: Uint8Array | number[], content_offset: number, expected_size?: number | null);
  /** The AES-256 key, to import as a non-extractable CryptoKey. */
  aesKey(): Uint8Array;
  /** `n` more sealed bytes arrived: `[first, end)` of the full chunks that may be opened. */
  push(n: number): Float64Array | number[];
  /** Throws `size-mismatch` once the released chunks hold more than the metadata's size. */
  checkReleased(): void;
  /** The sealed length counted so far against the one the metadata's size gives: throws `truncated` or `size-mismatch`, else returns the plaintext length. */
  checkLength(): number;
  /** `[index, sealedLength]` of the final chunk, or throws `truncated`. */
  finish(): Float64Array | number[];
  /** The plaintext length, or throws `size-mismatch`. */
  checkFinished(): number;
  /** The nonces of chunks `first..first + count`, 12 bytes each, in one array. */
  nonces(first: number, count: number): Uint8Array;
  /** The refusal (`damaged`) for chunk `k`. */
  damaged(k: number): any;
}

/** The core's plan for sealing one file's content with AES-GCM run in WebCrypto. */
export class SealPlan {
  free(): void;
  constructor(chunk_key: Uint8Array | number[], size: number);
  /** The AES-256 key, to import as a non-extractable CryptoKey. */
  aesKey(): Uint8Array;
  /** How many chunks the content has. */
  chunks(): number;
  /** How many bytes the sealed content (every chunk with its tag, after the prefix) has. */
  contentLength(): number;
  /** The `count + 1` plaintext offsets that bound chunks `first..first + count`. */
  bounds(first: number, count: number): Float64Array;
  /** The nonces of chunks `first..first + count`, 12 bytes each, in one array. */
  nonces(first: number, count: number): Uint8Array;
}

/** A policy as read from managed storage, valid or not. */
export class PolicyState {
  private constructor();
  free(): void;
  /** Reads a policy from the JSON text of managed storage's contents. */
  static fromJson(text: string): PolicyState;
  /** `{name, type, size, modified, chunkKey, contentOffset, keyId, keyLabel}` of a sealed file's prefix. */
  beginOpen(prefix: Uint8Array | number[]): any;
  /** Starts sealing a file: `{prefix, chunkKey, keyId, keyLabel}`. */
  beginSeal(name: string, mime: string, size: number, modified?: number | null): any;
  /** Whether `path` on `origin` is a configured download endpoint. */
  isDownload(origin: string, path: string): boolean;
  /** Whether `path` on `origin` is a configured upload endpoint. */
  isUpload(origin: string, path: string): boolean;
  /** `{state, problems, keys: [{label, id, encrypt}], keyLabels, sites, failClosed}`; never a secret. */
  status(): any;
}

/** Header length every sealed file starts with. */
export function headerLength(): number;
/** From the first 28 bytes: how many bytes `beginOpen` needs; throws `not-orgseal` for a file that is not sealed. */
export function prefixLength(first: Uint8Array | number[], ended: boolean): number;
/** Runs once when the module is instantiated (its `#[wasm_bindgen(start)]`). */
export function start(): void;
/** The core's safe-file-name rule (docs/FORMAT.md §5). */
export function safeFileName(name: string): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export type InitOutput = WebAssembly.Exports;

export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): InitOutput;
export default function __wbg_init(
  module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;
