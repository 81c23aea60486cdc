// Types of extension/wasm/orgseal_wasm.js, the module wasm-bindgen writes at
// build time (with --no-typescript, and not committed), as extension/lib/wasm.js
// uses it. tsconfig.json's rootDirs lays this folder over the repository, so
// that on a checkout not built yet `../wasm/orgseal_wasm.js` resolves here;
// once built, TypeScript reads the generated module's own JSDoc instead. Keep
// in step with crates/orgseal-wasm (the same types as that JSDoc).

/** Opens one file's content chunk by chunk. Output before `finish` succeeds is provisional. */
export class ContentOpener {
  free(): void;
  /** An opener for the chunk key `beginOpen` returned. */
  constructor(chunk_key: Uint8Array | number[], content_offset: number, expected_size?: number | null);
  /** Takes content ciphertext; returns the plaintext of completed chunks. */
  push(data: Uint8Array | number[]): Uint8Array;
  /** Opens the final chunk; fails on truncation or a size mismatch. */
  finish(): Uint8Array;
}

/** Seals one file's content chunk by chunk. */
export class ContentSealer {
  free(): void;
  /** A sealer for the chunk key `beginSeal` returned. */
  constructor(chunk_key: Uint8Array | number[]);
  /** Takes plaintext; returns the sealed chunks it completed. */
  push(data: Uint8Array | number[]): Uint8Array;
  /** Returns the final chunk. */
  finish(): Uint8Array;
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
export function prefixLength(first: Uint8Array | number[]): number;
/** The core's safe-file-name rule (docs/FORMAT.md §5). */
export function safeFileName(name: string): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export type InitOutput = WebAssembly.Exports;

export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): InitOutput;
export default function __wbg_init(
  module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;
