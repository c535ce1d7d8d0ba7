import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tracekit package (or source checkout) this code runs from: src/stage/
 * sits two levels below it, dist/src/stage/ three.
 */
export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const candidate = path.resolve(here, up);
    const manifest = path.join(candidate, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tracekit') return candidate;
  }
  throw new Error(`tracekit's package.json was not found above ${here}`);
}

/** The example application shipped in the source checkout. */
export function exampleAppDir(): string {
  return path.join(packageRoot(), 'examples', 'legacy-app');
}
