/**
 * tracekit's public API: what the CLI commands are built on, for use from
 * other tools and tests. Types are exported with `export type`.
 */
export { run } from './cli.js';
export type { CliIO, OutputStream } from './io.js';
export { ERRORS, TracekitError, isTracekitError } from './errors.js';
export type { ErrorName, ErrorSpec } from './errors.js';
export { VERSION } from './version.js';
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { generatedHeader, generatedLine, hasGeneratedStamp } from './generated-header.js';

// audit
export { runAudit } from '../analyzers/php/audit.js';
export type { AuditOptions } from '../analyzers/php/audit.js';
export { AUDIT_SCHEMA_VERSION } from '../analyzers/php/report.js';
export type { AuditReport, AuditSummary, CoverageRow, EntryPoint, PerFile } from '../analyzers/php/report.js';
export { formatReport, AUDIT_FORMATS } from './audit/format.js';
export type { AuditFormat } from './audit/format.js';
export { auditReportSchema, auditJsonSchema } from './audit/schema.js';

// sidecar
export { startSidecar, resolveSidecarConfig, renderSystemdUnit } from './sidecar/index.js';
export type { SidecarConfig, RunningSidecar, MetricsSnapshot } from './sidecar/index.js';

// PHP bootstrap, hooks and rewrite
export { planPhpInit, writePhpInit } from './php/index.js';
export type { PhpInitRequest, PhpInitPlan } from './php/index.js';
export { writePhpHooks } from './php/hooks.js';
export type { PhpHooksRequest, PhpHooksResult } from './php/hooks.js';
export { planRewrite, applyRewrite, unifiedDiff } from './php/rewrite.js';
export type { RewriteRequest, RewritePlan, FileRewrite } from './php/rewrite.js';

// the collector seam
export { generateSeam, writeSeam } from './collector/generate.js';
export { buildManagedSettings, renderManagedSettings, MANAGED_SETTINGS_PATHS } from './agent/settings.js';
export type { AgentSettingsOptions } from './agent/settings.js';
export { runDoctor } from './doctor/run.js';
export type { DoctorInputs } from './doctor/run.js';

// staging and service wiring
export { generateStack } from './stage/stack.js';
export { startLocalStack } from './stage/local.js';
export type { LocalStack, LocalStackOptions } from './stage/local.js';
export { planFastapi, planLitellm, renderPlan, writePlan } from './wire/index.js';
export type { FastapiRequest, LitellmRequest, WirePlan } from './wire/index.js';
