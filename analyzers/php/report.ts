/**
 * The audit report: the contract between the PHP analyzer, the CLI's
 * formatters and users' CI pipelines. Its JSON form is documented in
 * docs/audit-json.md; bump AUDIT_SCHEMA_VERSION on any incompatible change.
 */
export const AUDIT_SCHEMA_VERSION = 1 as const;

/** A database API family other than mysqli and PDO. */
export type OtherDbApi = 'pgsql' | 'sqlsrv' | 'oci8' | 'sqlite3';

/** How a file was analysed. */
export type FileAnalysis =
  /** Fully analysed, every rule applies: parsed to an AST, or read by the token tiers that give the same facts (docs/audit.md). */
  | 'ast'
  /** The parser rejected it; counted from its tokens (see docs/audit.md). */
  | 'tokens'
  /** Holds none of the words any rule looks for, so it was not parsed. */
  | 'no-evidence';

export interface Counts {
  [name: string]: number;
}

export interface PerFile {
  /** Relative to the report's root, with forward slashes. */
  path: string;
  analysis: FileAnalysis;
  /** Calls of built-in mysqli_* functions. */
  mysqliCallSites: number;
  /** `new mysqli`, `new mysqli_stmt`, … (including user subclasses of them). */
  mysqliNewInstances: number;
  /** `new PDO` (including user subclasses of PDO). */
  pdoNewInstances: number;
  /** `PDO::X` static uses (constants and static calls). */
  pdoStaticRefs: number;
  methodCalls: { mysqli: number; pdo: number; unknown: number };
  legacyMysqlCallSites: number;
  otherCallSites: number;
  /** Calls of the project's DB entry points made from this file. */
  entryPointCalls: number;
  usesMysqli: boolean;
  usesPdo: boolean;
  /** The parser's message when the file did not parse, else null. */
  parseError: string | null;
}

export interface EntryPoint {
  /** `db_query` for a function, `Db::query` for a method; namespaced names keep their namespace. */
  name: string;
  kind: 'function' | 'method';
  /** Where it is defined. */
  file: string;
  line: number;
  /** The APIs it calls directly. */
  apis: Array<'mysqli' | 'pdo'>;
  /** DB call sites inside its body. */
  directDbCalls: number;
  /** How many call sites, in how many files, call it. */
  callers: { callSites: number; files: number };
}

export interface CoverageRow {
  /** Stable identifier of the way of instrumenting. */
  mode: 'otel-auto-pdo' | 'otel-auto-mysqli' | 'tracekit-ext' | 'tracekit-wrap-entry-points' | 'tracekit-wrap-all';
  label: string;
  callSites: { covered: number; total: number; share: number };
  files: { covered: number; total: number; share: number };
  assumptions: string[];
}

export interface SkippedFile {
  path: string;
  reason: 'binary' | 'too-large' | 'unreadable';
  detail: string;
}

export interface ParseErrorEntry {
  path: string;
  line: number | null;
  message: string;
}

/** The counts of one tree (the project itself, or its vendor/ tree). */
export interface AuditSummary {
  files: {
    scanned: number;
    /** Of those, parsed to an AST. */
    parsed: number;
    withMysqli: number;
    withPdo: number;
    withBoth: number;
    withLegacyMysql: number;
    withOther: number;
    parseErrors: number;
    skipped: number;
    bytes: number;
  };
  mysqli: {
    callSites: number;
    byFunction: Counts;
    newInstances: number;
    newByClass: Counts;
    /** User classes that extend a mysqli class, as `Name (path:line)`. */
    subclasses: string[];
    constantRefs: number;
  };
  pdo: {
    newInstances: number;
    staticRefs: number;
    subclasses: string[];
  };
  methodCalls: {
    mysqli: number;
    pdo: number;
    unknown: number;
    byMethod: { mysqli: Counts; pdo: Counts; unknown: Counts };
  };
  legacyMysql: { callSites: number; byFunction: Counts };
  other: { callSites: number; byApi: Record<OtherDbApi, number>; byFunction: Counts };
  entryPoints: EntryPoint[];
  coverage: CoverageRow[];
  parseErrors: ParseErrorEntry[];
  skipped: SkippedFile[];
  perFile: PerFile[];
}

export interface AuditReport extends AuditSummary {
  schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  tool: { name: 'tracekit'; version: string };
  /** The audited directory, absolute. */
  root: string;
  options: { extensions: string[]; includeVendor: boolean; respectGitignore: boolean };
  /** Present with --include-vendor: the same counts for vendor/ trees. */
  vendor: AuditSummary | null;
}
