import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the modules compiled from src/otlp/wasm/:
 * dist/wasm/, seen from dist/src/otlp/ (the build) or src/otlp/ (the tests).
 */
const WASM_DIRS = [new URL('../../wasm/', import.meta.url), new URL('../../dist/wasm/', import.meta.url)];

/**
 * Instantiates dist/wasm/NAME.wasm (it imports nothing) and turns its exports
 * into what the caller uses; null where it was not built. A module that
 * cannot be loaded, or that `make` refuses (it throws), costs speed and never
 * an answer: a warning names it and `fallback` (what then takes every input),
 * and the caller's TypeScript path does the work.
 */
export function loadWasm<T>(name: string, fallback: string, make: (exports: WebAssembly.Exports) => T): T | null {
  const file = WASM_DIRS.map((dir) => new URL(`${name}.wasm`, dir)).find((url) => existsSync(url));
  if (file === undefined) return null;
  try {
    const code = new Uint8Array(readFileSync(file)) as Uint8Array<ArrayBuffer>;
    return make(new WebAssembly.Instance(new WebAssembly.Module(code), {}).exports);
  } catch (error) {
    process.emitWarning(`${fileURLToPath(file)} could not be loaded (${error instanceof Error ? error.message : String(error)}); ${fallback}`, 'TracekitWarning');
    return null;
  }
}

/** The value of an exported global (the modules export their memory layout as constants). */
export function wasmConstant(exports: WebAssembly.Exports, name: string): number {
  const global = exports[name];
  if (!(global instanceof WebAssembly.Global)) throw new Error(`it exports no ${name}`);
  return global.value as number;
}
