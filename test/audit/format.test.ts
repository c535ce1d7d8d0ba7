import { describe, expect, it } from 'vitest';
import { formatBytes, formatReport } from '../../src/audit/format.js';
import { auditReportSchema } from '../../src/audit/schema.js';
import { LIST_LIMIT } from '../../src/audit/sections.js';
import type { EntryPoint } from '../../analyzers/php/report.js';
import { sampleReport, sampleSummary } from './sample-report.js';

const ESC = '\u001b[';

describe('audit formats', () => {
  it('json is the report itself, valid against the published schema', () => {
    const report = sampleReport();
    const text = formatReport(report, 'json');
    expect(text.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual(report);
    expect(auditReportSchema.safeParse(parsed).success).toBe(true);
  });

  it('the schema rejects a report missing a documented field', () => {
    const { perFile: _drop, ...rest } = sampleReport();
    expect(auditReportSchema.safeParse(rest).success).toBe(false);
  });

  it('table lists every section with aligned numeric columns and no colour unless asked', () => {
    const text = formatReport(sampleReport(), 'table', { color: false });
    expect(text).not.toContain(ESC);
    for (const title of ['Files', 'mysqli functions', 'PDO', 'Method calls by receiver', 'DB entry points', 'Coverage by way of instrumenting', 'Files that did not parse', 'Skipped files']) {
      expect(text).toContain(title);
    }
    const rows = text.split('\n').filter((l) => /^ {2}mysqli_(query|fetch_assoc|connect) /.test(l));
    expect(rows).toHaveLength(3);
    // Right-aligned counts end in the same column.
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(text).toMatch(/db_query\s+function\s+inc\/db\.php:12\s+mysqli\s+2\s+40\s+17/);
    expect(text).toContain('broken.php:4: syntax error');
    expect(text).toContain('blob.php: binary (NUL byte at offset 10)');
  });

  it('sizes read in the unit that fits', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(123_456)).toBe('120.6 KiB');
    expect(formatBytes(52_433_858)).toBe('50.0 MiB');
    expect(formatReport(sampleReport(), 'table')).toContain('30 files scanned (.php .inc .phtml), 120.6 KiB');
  });

  it('table uses ANSI colour when asked', () => {
    expect(formatReport(sampleReport(), 'table', { color: true })).toContain(ESC);
  });

  it('coverage assumptions become numbered footnotes shared between rows', () => {
    const text = formatReport(sampleReport(), 'table');
    expect(text).toContain('OpenTelemetry auto-instrumentation, PDO only [1][2]');
    expect(text).toContain('tracekit wrappers, every call site rewritten [3]');
    expect(text).toContain('[2] PHP >= 8.2 with the opentelemetry extension');
    expect(text).toMatch(/9\/42 \(21\.4%\)/);
  });

  it('markdown is a paste-ready section with well-formed tables', () => {
    const md = formatReport(sampleReport(), 'markdown');
    expect(md.startsWith('## Database layer audit\n')).toBe(true);
    expect(md).not.toMatch(/\n{3,}/);
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const table of tables) {
      const lines = table.trimEnd().split('\n');
      const columns = lines[0]!.split(' | ').length;
      expect(lines[1]).toMatch(/^\|(---:?\|)+$/);
      expect(lines[1]!.split('|').length - 2).toBe(columns);
      for (const line of [lines[0]!, ...lines.slice(2)]) expect(line.split(' | ').length).toBe(columns);
    }
    expect(md).toContain('| App\\Report::run | method | lib/Report.php:8 | pdo | 3 | 2 | 1 |');
  });

  it('markdown escapes pipes inside cells', () => {
    const report = sampleReport({ entryPoints: [{ ...sampleSummary().entryPoints[0]!, name: 'odd|name' }] });
    expect(formatReport(report, 'markdown')).toContain('odd\\|name');
  });

  it('long lists are cut in the human formats and say how many more there are', () => {
    const many: EntryPoint[] = Array.from({ length: LIST_LIMIT + 5 }, (_, i) => ({
      name: `fn_${String(i).padStart(2, '0')}`,
      kind: 'function',
      file: 'a.php',
      line: i + 1,
      apis: ['mysqli'],
      directDbCalls: 1,
      callers: { callSites: 1, files: 1 },
    }));
    const text = formatReport(sampleReport({ entryPoints: many }), 'table');
    expect(text).toContain(`fn_${String(LIST_LIMIT - 1).padStart(2, '0')}`);
    expect(text).not.toContain(`fn_${LIST_LIMIT}`);
    expect(text).toContain('… and 5 more entry points');
  });

  it('vendor counts get their own sections', () => {
    const text = formatReport(sampleReport({ vendor: sampleSummary() }), 'table');
    expect(text).toContain('vendor/: Files');
    expect(text).toContain('vendor/: DB entry points');
  });
});
