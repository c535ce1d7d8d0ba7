import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { TracekitError } from '../errors.js';

/**
 * The php-bootstrap/ directory shipped in the package. src/php/ (tests run the
 * TypeScript) sits two levels below the package root, dist/src/php/ three.
 */
export function phpBootstrapDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const candidate = path.resolve(here, up, 'php-bootstrap');
    if (existsSync(path.join(candidate, 'src', 'Bootstrap.php'))) return candidate;
  }
  throw new TracekitError('PHP_RUNTIME_MISSING', `expected the PHP runtime in php-bootstrap/ beside ${here}, found nothing: the tracekit package is incomplete`);
}

export function readAsset(relative: string): string {
  const file = path.join(phpBootstrapDir(), relative);
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TracekitError('PHP_RUNTIME_MISSING', `expected ${relative} in the tracekit package at ${file}, found it unreadable`, { cause });
  }
}

/** The runtime's classes, in the order php-bootstrap/load.php requires them. */
export const RUNTIME_CLASSES = [
  'Clock',
  'Ids',
  'TraceContext',
  'Sampler',
  'Config',
  'Span',
  'Tracer',
  'ResourceInfo',
  'OtlpJson',
  'Exporter',
  'HttpRequest',
  'Bootstrap',
] as const;
