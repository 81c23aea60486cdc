// @ts-check
// Loads the OrgSeal core (WebAssembly) once per extension context.
import init from '../wasm/orgseal_wasm.js';

let loading = null;
export function loadCore() {
  loading ??= init({ module_or_path: new URL('../wasm/orgseal_wasm_bg.wasm', import.meta.url) });
  return loading;
}
export * from '../wasm/orgseal_wasm.js';
