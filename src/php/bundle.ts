import { TracekitError } from '../errors.js';
import { readAsset, RUNTIME_CLASSES } from './assets.js';

const OPENING = /^<\?php\r?\nnamespace Tracekit\\Runtime;\r?\n/;

/**
 * Joins the runtime's class files into one: each source starts with the same
 * `<?php namespace Tracekit\Runtime;` and has no `use` lines (which would clash
 * when joined), so dropping that opening and concatenating keeps every name.
 * One file is one include per request instead of a dozen.
 */
export function bundleRuntimeClasses(): string {
  const parts: string[] = [];
  for (const name of RUNTIME_CLASSES) {
    const source = readAsset(`src/${name}.php`);
    if (!OPENING.test(source)) {
      throw new TracekitError('PHP_RUNTIME_MISSING', `expected php-bootstrap/src/${name}.php to start with "<?php" and "namespace Tracekit\\Runtime;", found something else`);
    }
    parts.push(`\n// ---- ${name}.php\n` + source.replace(OPENING, '').replace(/^\n+/, ''));
  }
  return parts.join('');
}
