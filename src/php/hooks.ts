import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { runAudit } from '../../analyzers/php/audit.js';
import type { CommandContext } from '../cli.js';
import { TracekitError } from '../errors.js';
import { hasGeneratedStamp } from '../generated-header.js';
import { DEFAULT_HOOKS_FILE, HOOKS_MODES, planHooks, renderHooks, type HooksMode, type HooksPlan } from '../hooks/generate.js';

export interface PhpHooksRequest {
  dir: string;
  mode: HooksMode;
  out: string;
  rawSql: boolean;
  cwd: string;
  /** The words typed after `tracekit`, for the header (defaults to a canonical form). */
  command?: string;
}

export interface PhpHooksResult {
  file: string;
  plan: HooksPlan;
  content: string;
}

function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Audits DIR and writes the hooks file. A file at --out that tracekit did not write is never overwritten. */
export async function writePhpHooks(request: PhpHooksRequest): Promise<PhpHooksResult> {
  if (!HOOKS_MODES.includes(request.mode)) {
    throw new TracekitError('USAGE', `expected --mode to be one of ${HOOKS_MODES.join(', ')}, found ${JSON.stringify(request.mode)}`);
  }
  const report = await runAudit({ root: path.resolve(request.cwd, request.dir), threads: 0 });
  const plan = planHooks(report);
  const words = ['tracekit', 'php', 'hooks', request.dir, '--mode', request.mode, '--out', request.out];
  if (request.rawSql) words.push('--raw-sql');
  const content = renderHooks(plan, { mode: request.mode, rawSql: request.rawSql, command: request.command ?? words.map(shellWord).join(' ') });
  const file = path.resolve(request.cwd, request.out);
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== null && !hasGeneratedStamp(existing)) {
    throw new TracekitError('HOOKS_WOULD_OVERWRITE', `expected --out ${request.out} to be a new file or one tracekit wrote, found a file without tracekit's header`);
  }
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  } catch (cause) {
    throw new TracekitError('OUTPUT_UNWRITABLE', `expected to write ${file}, found it unwritable: ${(cause as Error).message}`, { cause });
  }
  return { file, plan, content };
}

interface HooksOptions {
  mode: string;
  out: string;
  rawSql?: boolean;
}

export function registerPhpHooks(group: Command, ctx: CommandContext): void {
  group
    .command('hooks')
    .description('Write mysqli/PDO span instrumentation for the functions, methods and classes DIR uses (extension hooks and/or pure-PHP wrappers)')
    .argument('[dir]', 'the PHP application to audit', '.')
    .option('--mode <mode>', 'ext (extension hooks, wrappers as fallback), wrap (pure-PHP wrappers only), auto (the same file as ext: the choice is made on each host at runtime)', 'auto')
    .option('--out <file>', 'where to write the hooks file; tracekit-prepend.php loads tracekit-hooks.php beside it, or TRACEKIT_HOOKS_FILE', DEFAULT_HOOKS_FILE)
    .option('--raw-sql', 'put statements in spans as written instead of sanitised (literals replaced by ?); TRACEKIT_DB_RAW_SQL=0/1 overrides per host')
    .addHelpText(
      'after',
      `
Example:
  $ tracekit php hooks /srv/shop --mode auto --out /opt/tracekit/php/tracekit-hooks.php
  $ tracekit php rewrite /srv/shop            # show which call sites would use the wrappers
  $ tracekit php rewrite /srv/shop --write    # rewrite them (undo with --revert --write)`,
    )
    .action(async (dir: string, options: HooksOptions) => {
      const result = await writePhpHooks({ dir, mode: options.mode as HooksMode, out: options.out, rawSql: options.rawSql === true, cwd: ctx.io.cwd });
      const { plan } = result;
      ctx.io.stdout.write(`wrote ${result.file}\n`);
      ctx.io.stdout.write(`  procedural wrappers: ${plan.functions.join(', ') || 'none'}\n`);
      ctx.io.stdout.write(`  traced classes: ${plan.classes.join(', ') || 'none'}\n`);
      if (options.mode !== 'wrap') ctx.io.stdout.write(`  extension hooks: ${plan.functions.length + plan.methods.length}\n`);
    });
}
