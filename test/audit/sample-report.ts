import type { AuditReport, AuditSummary, EntryPoint } from '../../analyzers/php/report.js';

/** A hand-built report for testing the formatters (the analyzer is tested on real trees elsewhere). */
export function sampleSummary(overrides: Partial<AuditSummary> = {}): AuditSummary {
  const entryPoints: EntryPoint[] = [
    { name: 'db_query', kind: 'function', file: 'inc/db.php', line: 12, apis: ['mysqli'], directDbCalls: 2, callers: { callSites: 40, files: 17 } },
    { name: 'App\\Report::run', kind: 'method', file: 'lib/Report.php', line: 8, apis: ['pdo'], directDbCalls: 3, callers: { callSites: 2, files: 1 } },
  ];
  return {
    files: { scanned: 30, parsed: 22, withMysqli: 18, withPdo: 3, withBoth: 1, withLegacyMysql: 1, withOther: 0, parseErrors: 1, skipped: 1, bytes: 123_456 },
    mysqli: {
      callSites: 25,
      byFunction: { mysqli_query: 12, mysqli_fetch_assoc: 10, mysqli_connect: 3 },
      newInstances: 2,
      newByClass: { mysqli: 2 },
      subclasses: [],
      constantRefs: 1,
    },
    pdo: { newInstances: 2, staticRefs: 5, subclasses: ['ReportDb (lib/ReportDb.php:3)'] },
    methodCalls: {
      mysqli: 6,
      pdo: 7,
      unknown: 1,
      byMethod: { mysqli: { prepare: 3, execute: 3 }, pdo: { prepare: 3, execute: 4 }, unknown: { query: 1 } },
    },
    legacyMysql: { callSites: 1, byFunction: { mysql_query: 1 } },
    other: { callSites: 0, byApi: { pgsql: 0, sqlsrv: 0, oci8: 0, sqlite3: 0 }, byFunction: {} },
    entryPoints,
    coverage: [
      {
        mode: 'otel-auto-pdo',
        label: 'OpenTelemetry auto-instrumentation, PDO only',
        callSites: { covered: 9, total: 42, share: 0.2143 },
        files: { covered: 3, total: 20, share: 0.15 },
        assumptions: ['PDO package installed with Composer', 'PHP >= 8.2 with the opentelemetry extension'],
      },
      {
        mode: 'tracekit-wrap-all',
        label: 'tracekit wrappers, every call site rewritten',
        callSites: { covered: 42, total: 42, share: 1 },
        files: { covered: 20, total: 20, share: 1 },
        assumptions: ['PHP >= 7.2, no extension'],
      },
    ],
    parseErrors: [{ path: 'broken.php', line: 4, message: 'syntax error, unexpected end of file' }],
    skipped: [{ path: 'blob.php', reason: 'binary', detail: 'NUL byte at offset 10' }],
    perFile: [],
    ...overrides,
  };
}

export function sampleReport(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    schemaVersion: 1,
    tool: { name: 'tracekit', version: '0.0.0-test' },
    root: '/srv/app',
    options: { extensions: ['php', 'inc', 'phtml'], includeVendor: false, respectGitignore: true },
    vendor: null,
    ...sampleSummary(),
    ...overrides,
  };
}
