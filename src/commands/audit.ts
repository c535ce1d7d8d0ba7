import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import { runAudit } from '../../analyzers/php/audit.js';
import { tuneV8ForBatchRun } from '../../analyzers/php/v8-tuning.js';
import type { AuditReport } from '../../analyzers/php/report.js';
import type { CommandContext } from '../cli.js';
import { ERRORS, TracekitError } from '../errors.js';
import { AUDIT_FORMATS, formatReport, type AuditFormat } from '../audit/format.js';

export const DEFAULT_EXTENSIONS = ['php', 'inc', 'phtml'] as const;

/** Conditions `--fail-on` can make the audit exit 1 for. */
export const FAIL_CONDITIONS = ['parse-errors', 'skipped', 'legacy-mysql', 'unknown-receivers'] as const;
type FailCondition = (typeof FAIL_CONDITIONS)[number];

/** Progress is drawn only for runs long enough to need it. */
const PROGRESS_MIN_FILES = 500;

interface AuditFlags {
  format: AuditFormat;
  out?: string;
  ext: string;
  includeVendor?: boolean;
  gitignore: boolean;
  threads?: number;
  maxFileSize?: number;
  color?: boolean;
  progress: boolean;
  failOn?: FailCondition[];
  printSchema?: boolean;
}

export function parseExtensions(value: string): string[] {
  const parts = value.split(',').map((p) => p.trim().replace(/^\*?\./, '').toLowerCase());
  const bad = parts.find((p) => !/^[a-z0-9][a-z0-9_-]*$/.test(p));
  if (parts.length === 0 || bad !== undefined) {
    throw new TracekitError('AUDIT_BAD_EXTENSION', `--ext expects a comma-separated list of file extensions like "php,inc,phtml", found "${value}"`);
  }
  return [...new Set(parts)];
}

function parseThreads(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 64) {
    throw new TracekitError('USAGE', `--threads expects a whole number from 0 (parse on the main thread) to 64, found "${value}"`);
  }
  return Number(value);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1_048_576, mb: 1_048_576, mib: 1_048_576 };

export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new TracekitError('USAGE', `--max-file-size expects a size like 5MiB, 512k or 1048576, found "${value}"`);
  }
  return Math.round(Number(match[1]) * unit);
}

function parseFailOn(value: string): FailCondition[] {
  const parts = value.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!(FAIL_CONDITIONS as readonly string[]).includes(p)) {
      throw new TracekitError('USAGE', `--fail-on expects a comma-separated list of ${FAIL_CONDITIONS.join(', ')}, found "${p}"`);
    }
  }
  return parts as FailCondition[];
}

function useColor(flags: AuditFlags, ctx: CommandContext): boolean {
  if (flags.format !== 'table' || flags.out !== undefined) return false;
  if (flags.color !== undefined) return flags.color;
  if (ctx.io.env.NO_COLOR !== undefined && ctx.io.env.NO_COLOR !== '') return false;
  if (ctx.io.env.FORCE_COLOR !== undefined && ctx.io.env.FORCE_COLOR !== '0') return true;
  return ctx.io.stdout.isTTY === true;
}

function findingsOf(report: AuditReport, conditions: readonly FailCondition[]): string[] {
  const found: string[] = [];
  for (const condition of conditions) {
    if (condition === 'parse-errors' && report.files.parseErrors > 0) found.push(`${report.files.parseErrors} files that do not parse`);
    if (condition === 'skipped' && report.files.skipped > 0) found.push(`${report.files.skipped} skipped files`);
    if (condition === 'legacy-mysql' && report.legacyMysql.callSites > 0) found.push(`${report.legacyMysql.callSites} legacy mysql_* call sites`);
    if (condition === 'unknown-receivers' && report.methodCalls.unknown > 0) found.push(`${report.methodCalls.unknown} DB method calls on unknown receivers`);
  }
  return found;
}

async function writeOutput(file: string, text: string, cwd: string): Promise<string> {
  const target = path.resolve(cwd, file);
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TracekitError('OUTPUT_UNWRITABLE', `--out expects a writable file path, found ${target} (${reason})`, { cause: error });
  }
  return target;
}

async function progressReporter(ctx: CommandContext, enabled: boolean): Promise<{ onProgress?: (done: number, total: number) => void; stop(): void }> {
  if (!enabled || ctx.io.stderr !== process.stderr || !process.stderr.isTTY) return { stop() {} };
  // Loaded only for a terminal: runs into a file or a pipe do not pay for it.
  const { default: cliProgress } = await import('cli-progress');
  let bar: SingleBar | null = null;
  return {
    onProgress(done, total) {
      if (total < PROGRESS_MIN_FILES) return;
      if (bar === null) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: 'auditing {bar} {value}/{total} files', hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

export function registerAudit(program: Command, ctx: CommandContext): void {
  program
    .command('audit')
    .description('Inventory the database layer of a PHP tree: mysqli vs PDO call sites and files, DB entry points, and what each way of instrumenting would see')
    .argument('[dir]', 'the PHP tree to audit', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(AUDIT_FORMATS).default('table'))
    .option('-o, --out <file>', 'write the report to FILE instead of stdout')
    .option('--ext <list>', 'file extensions to read, comma-separated (case-insensitive)', DEFAULT_EXTENSIONS.join(','))
    .option('--include-vendor', 'also audit vendor/ trees, reported separately')
    .option('--no-gitignore', 'also read files that .gitignore files exclude')
    .option('--threads <n>', 'worker threads analysing files beside the main thread (0: the main thread alone; default: 0 on one or two cores, where a worker cost more CPU than it saved, else one per core beyond the first, at most 4; see docs/audit.md)', parseThreads)
    .option('--max-file-size <size>', 'skip larger files with a reason (default 5MiB)', parseByteSize)
    .option('--fail-on <conditions>', `exit 1 when any is found: ${FAIL_CONDITIONS.join(', ')}`, parseFailOn)
    .option('--color', 'force colour in the table format')
    .option('--no-color', 'never use colour')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--print-schema', 'print the JSON Schema of --format json and exit')
    .addHelpText(
      'after',
      `
Examples:
  $ tracekit audit /srv/app
  $ tracekit audit /srv/app --format json --out audit.json
  $ tracekit audit . --format markdown >> docs/adr/0007-tracing.md
  $ tracekit audit /srv/app --ext php,inc,phtml,module --include-vendor
  $ tracekit audit /srv/app --format json --fail-on parse-errors,legacy-mysql

Exit status: 0 on success, 1 when --fail-on found something, 2 on bad usage or an
unreadable DIR. The JSON format is documented in docs/audit-json.md.`,
    )
    .action(async (dir: string, flags: AuditFlags) => {
      if (flags.printSchema) {
        // Loaded here only: zod costs ~0.1 s of start-up that an audit run does not need.
        const { auditJsonSchema } = await import('../audit/schema.js');
        ctx.io.stdout.write(`${JSON.stringify(auditJsonSchema(), null, 2)}\n`);
        return;
      }
      const extensions = parseExtensions(flags.ext);
      // Before the engine's code gets hot: less JIT work for a run this short (see v8-tuning.ts).
      tuneV8ForBatchRun();
      const progress = await progressReporter(ctx, flags.progress);
      let report: AuditReport;
      try {
        report = await runAudit({
          root: path.resolve(ctx.io.cwd, dir),
          extensions,
          includeVendor: flags.includeVendor === true,
          respectGitignore: flags.gitignore,
          threads: flags.threads,
          maxFileBytes: flags.maxFileSize,
          onProgress: progress.onProgress,
        });
      } finally {
        progress.stop();
      }
      const text = formatReport(report, flags.format, { color: useColor(flags, ctx) });
      if (flags.out !== undefined) {
        const target = await writeOutput(flags.out, text, ctx.io.cwd);
        ctx.io.stderr.write(`tracekit: wrote the ${flags.format} report to ${target}\n`);
      } else {
        ctx.io.stdout.write(text);
      }
      const findings = findingsOf(report, flags.failOn ?? []);
      if (findings.length > 0) {
        ctx.io.stderr.write(`tracekit: --fail-on found ${findings.join(', ')} [${ERRORS.FINDINGS.code}]\n`);
        ctx.setExitCode(1);
      }
    });
}
