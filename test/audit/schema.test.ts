import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditJsonSchema } from '../../src/audit/schema.js';

describe('published audit JSON schema', () => {
  it('docs/audit.schema.json is what the code generates (regenerate with `tracekit audit --print-schema`)', () => {
    const published = JSON.parse(readFileSync(new URL('../../docs/audit.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(auditJsonSchema());
  });

  it('requires every field the issue names', () => {
    const schema = auditJsonSchema() as { required: string[]; properties: Record<string, { required?: string[]; items?: { required?: string[] } }> };
    for (const field of ['schemaVersion', 'root', 'files', 'mysqli', 'pdo', 'methodCalls', 'legacyMysql', 'entryPoints', 'coverage', 'perFile']) {
      expect(schema.required).toContain(field);
    }
    expect(schema.properties.files!.required).toEqual(expect.arrayContaining(['scanned', 'withMysqli', 'withPdo', 'withBoth', 'parseErrors']));
    expect(schema.properties.perFile!.items!.required).toEqual(
      expect.arrayContaining(['path', 'mysqliCallSites', 'pdoNewInstances', 'usesMysqli', 'usesPdo', 'parseError']),
    );
  });
});
