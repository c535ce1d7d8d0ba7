import { existsSync } from 'node:fs';
import type { Finding } from './findings.js';

/**
 * A php-fpm pool file: every pool ([name] section) must load the tracing
 * bootstrap with auto_prepend_file, or its requests are never traced.
 */
export function checkFpmPool(text: string, file: string, fileExists: (p: string) => boolean = existsSync): Finding[] {
  const out: Finding[] = [];
  const pools = new Map<string, string | null>();
  let current: string | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section?.[1]) {
      current = section[1];
      if (current !== 'global' && !pools.has(current)) pools.set(current, null);
      continue;
    }
    const m = /^php_(?:admin_)?value\[auto_prepend_file\]\s*=\s*(.*)$/.exec(line);
    if (m && current !== null && current !== 'global') pools.set(current, (m[1] ?? '').replace(/^"(.*)"$/, '$1').trim());
  }
  if (pools.size === 0) {
    out.push({ id: 'fpm-no-auto-prepend', severity: 'error', file, message: 'no pool section ([www]) found: this does not look like a php-fpm pool file', fix: 'point --fpm-pool at a pool file such as /etc/php/8.2/fpm/pool.d/www.conf' });
  }
  for (const [pool, value] of pools) {
    if (value === null || value === '' || value.toLowerCase() === 'none') {
      out.push({
        id: 'fpm-no-auto-prepend',
        severity: 'error',
        file,
        where: `pool [${pool}]`,
        message: 'no auto_prepend_file: requests of this pool are never traced',
        fix: 'add php_admin_value[auto_prepend_file] = /path/to/tracekit bootstrap (tracekit php init writes the line)',
      });
    } else if (!fileExists(value)) {
      out.push({ id: 'fpm-prepend-missing-file', severity: 'error', file, where: `pool [${pool}]`, message: `auto_prepend_file names ${value}, which does not exist on this host: PHP fails every request of the pool`, fix: 'install the bootstrap there, or fix the path' });
    }
  }
  return out;
}
