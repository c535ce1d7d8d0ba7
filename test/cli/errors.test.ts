import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, TracekitError } from '../../src/errors.js';

describe('error registry', () => {
  const specs = Object.values(ERRORS);

  it('gives every error a unique code', () => {
    const codes = specs.map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('documents every code with its exit status in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const spec of specs) {
      expect(doc, spec.code).toContain(`| \`${spec.code}\` | ${spec.exitCode} |`);
    }
  });

  it('uses only the documented exit statuses', () => {
    for (const spec of specs) expect([1, 2], spec.code).toContain(spec.exitCode);
  });

  it('carries code and exit status on the thrown error', () => {
    const error = new TracekitError('INPUT_NOT_FOUND', 'expected a directory, found nothing at /nope');
    expect(error.code).toBe('TRACEKIT_E_INPUT_NOT_FOUND');
    expect(error.exitCode).toBe(2);
  });
});
