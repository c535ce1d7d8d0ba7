import { readFileSync } from 'node:fs';

function readVersion(): string {
  // dist/src/version.js and src/version.ts both sit two levels below package.json.
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tracekit' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
