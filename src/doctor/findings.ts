import { TracekitError } from '../errors.js';

/** What the doctor reports: one trap found in one file, with its fix. */
export type Severity = 'info' | 'warning' | 'error';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error'];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The traps, by stable id (documented in docs/doctor.md). */
export type TrapId =
  | 'series-expiry-short'
  | 'resource-labels-dropped'
  | 'session-id-dropped'
  | 'account-id-dropped'
  | 'logs-exported'
  | 'prompt-content-logged'
  | 'traces-exported'
  | 'delta-temporality'
  | 'session-counter-increase'
  | 'sessions-as-series-present'
  | 'cost-not-notional'
  | 'otlp-public-unauthenticated'
  | 'otlp-all-interfaces'
  | 'protocol-unset'
  | 'protocol-invalid'
  | 'endpoint-unset'
  | 'protocol-port-mismatch'
  | 'telemetry-off'
  | 'metrics-exporter-not-otlp'
  | 'memory-limiter-not-first'
  | 'pipeline-undefined-component'
  | 'fpm-no-auto-prepend'
  | 'fpm-prepend-missing-file'
  | 'unreadable-config';

export interface Finding {
  readonly id: TrapId;
  readonly severity: Severity;
  /** The file (or file#location) the finding is about. */
  readonly file: string;
  readonly where?: string;
  readonly message: string;
  readonly fix: string;
}

export function worst(findings: readonly Finding[]): Severity | null {
  let best: Severity | null = null;
  for (const f of findings) if (best === null || severityRank(f.severity) > severityRank(best)) best = f.severity;
  return best;
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.file.localeCompare(b.file) || a.id.localeCompare(b.id) || (a.where ?? '').localeCompare(b.where ?? ''),
  );
}

export function formatFinding(f: Finding): string {
  const where = f.where === undefined ? f.file : `${f.file} (${f.where})`;
  return `${f.severity.toUpperCase()} ${f.id}: ${where}: ${f.message}\n  fix: ${f.fix}\n`;
}

export function parseFailLevel(raw: string | undefined, fallback: Severity = 'warning'): Severity {
  const value = raw ?? fallback;
  if (!(SEVERITIES as readonly string[]).includes(value)) {
    throw new TracekitError('USAGE', `--fail-level expects one of ${SEVERITIES.join(', ')}, found '${value}'`);
  }
  return value as Severity;
}

