import { z } from 'zod';
import { AUDIT_SCHEMA_VERSION, type AuditReport } from '../../analyzers/php/report.js';

/**
 * The audit's JSON output as a schema. docs/audit.schema.json is generated
 * from it (`tracekit audit --print-schema`) and a test keeps the two equal and
 * validates real output against it, so the documented schema cannot drift
 * from what the CLI writes.
 */
const count = z.number().int().nonnegative();
const counts = z.record(z.string(), count);
const share = z.number().min(0).max(1);

const perFile = z.strictObject({
  path: z.string().describe('Relative to root, with forward slashes.'),
  analysis: z.enum(['ast', 'tokens', 'no-evidence']).describe('ast: fully analysed, every rule applies (parsed, or read by the token tiers that give the same facts; see docs/audit.md); tokens: did not parse, counted from tokens; no-evidence: holds no word any rule looks for.'),
  mysqliCallSites: count,
  mysqliNewInstances: count,
  pdoNewInstances: count,
  pdoStaticRefs: count,
  methodCalls: z.strictObject({ mysqli: count, pdo: count, unknown: count }),
  legacyMysqlCallSites: count,
  otherCallSites: count,
  entryPointCalls: count,
  usesMysqli: z.boolean(),
  usesPdo: z.boolean(),
  parseError: z.string().nullable(),
});

const entryPoint = z.strictObject({
  name: z.string(),
  kind: z.enum(['function', 'method']),
  file: z.string(),
  line: z.number().int().positive(),
  apis: z.array(z.enum(['mysqli', 'pdo'])),
  directDbCalls: count,
  callers: z.strictObject({ callSites: count, files: count }),
});

const coverageRow = z.strictObject({
  mode: z.enum(['otel-auto-pdo', 'otel-auto-mysqli', 'tracekit-ext', 'tracekit-wrap-entry-points', 'tracekit-wrap-all']),
  label: z.string(),
  callSites: z.strictObject({ covered: count, total: count, share }),
  files: z.strictObject({ covered: count, total: count, share }),
  assumptions: z.array(z.string()),
});

export const auditSummarySchema = z.strictObject({
  files: z.strictObject({
    scanned: count,
    parsed: count,
    withMysqli: count,
    withPdo: count,
    withBoth: count,
    withLegacyMysql: count,
    withOther: count,
    parseErrors: count,
    skipped: count,
    bytes: count,
  }),
  mysqli: z.strictObject({
    callSites: count,
    byFunction: counts,
    newInstances: count,
    newByClass: counts,
    subclasses: z.array(z.string()),
    constantRefs: count,
  }),
  pdo: z.strictObject({ newInstances: count, staticRefs: count, subclasses: z.array(z.string()) }),
  methodCalls: z.strictObject({
    mysqli: count,
    pdo: count,
    unknown: count,
    byMethod: z.strictObject({ mysqli: counts, pdo: counts, unknown: counts }),
  }),
  legacyMysql: z.strictObject({ callSites: count, byFunction: counts }),
  other: z.strictObject({
    callSites: count,
    byApi: z.strictObject({ pgsql: count, sqlsrv: count, oci8: count, sqlite3: count }),
    byFunction: counts,
  }),
  entryPoints: z.array(entryPoint),
  coverage: z.array(coverageRow),
  parseErrors: z.array(z.strictObject({ path: z.string(), line: z.number().int().positive().nullable(), message: z.string() })),
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.enum(['binary', 'too-large', 'unreadable']), detail: z.string() })),
  perFile: z.array(perFile),
});

export const auditReportSchema = z.strictObject({
  schemaVersion: z.literal(AUDIT_SCHEMA_VERSION),
  tool: z.strictObject({ name: z.literal('tracekit'), version: z.string() }),
  root: z.string().describe('The audited directory, absolute.'),
  options: z.strictObject({ extensions: z.array(z.string()), includeVendor: z.boolean(), respectGitignore: z.boolean() }),
  vendor: auditSummarySchema.nullable().describe('With --include-vendor: the same counts for vendor/ trees; else null.'),
  ...auditSummarySchema.shape,
});

/** The JSON Schema (draft 2020-12) written to docs/audit.schema.json. */
export function auditJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(auditReportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $id: `https://tracekit.invalid/schemas/audit-v${AUDIT_SCHEMA_VERSION}.json`,
    title: `tracekit audit report, schema version ${AUDIT_SCHEMA_VERSION}`,
    ...schema,
  };
}

// Compile-time check that the schema and the TypeScript contract agree.
type SchemaReport = z.infer<typeof auditReportSchema>;
type Assert<T extends true> = T;
export type _SchemaMatchesReport = Assert<AuditReport extends SchemaReport ? (SchemaReport extends AuditReport ? true : false) : false>;
