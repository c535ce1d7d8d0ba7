import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { runAudit } from '../../analyzers/php/audit.js';
import { findNameSites, type FileNameSites, type NameSite } from '../../analyzers/php/call-sites.js';
import { discoverFiles } from '../../analyzers/php/discover.js';
import type { CommandContext } from '../cli.js';
import { TracekitError } from '../errors.js';
import { OVERRIDDEN_METHODS, TRACED_FUNCTIONS, WRAPPED_CLASSES } from '../hooks/catalog.js';

/**
 * `tracekit php rewrite`: points mysqli/PDO call sites at the traced
 * versions in Tracekit\Wrap by inserting a namespace prefix before the name,
 * and nothing else — formatting and comments stay byte for byte.
 *
 *   mysqli_query(…)   → \Tracekit\Wrap\mysqli_query(…)
 *   \mysqli_query(…)  → \tracekit\wrap\mysqli_query(…)   (PHP names are case-insensitive:
 *                                                         the spelling records the leading
 *                                                         backslash, so --revert is exact)
 *   new mysqli(…)     → new \Tracekit\Wrap\mysqli(…)
 *   extends PDO       → extends \Tracekit\Wrap\PDO
 *
 * Only calls that make spans are rewritten (catalog.ts TRACED_FUNCTIONS). By
 * default, procedural calls only inside the DB entry points the audit found,
 * and every `new`/`extends` of mysqli, mysqli_stmt and PDO; with --all every
 * procedural call. Already rewritten names resolve into Tracekit\Wrap and are
 * left alone, so running it twice changes nothing.
 */

export interface RewriteRequest {
  dir: string;
  cwd: string;
  all: boolean;
  revert: boolean;
}

export interface RewriteEdit {
  line: number;
  kind: NameSite['kind'];
  from: string;
  to: string;
  /** Where the site is: the enclosing function or method, or 'top level'. */
  scope: string;
}

export interface FileRewrite {
  /** Relative to the rewritten directory, forward slashes. */
  path: string;
  absPath: string;
  before: string;
  after: string;
  edits: RewriteEdit[];
}

export interface RewritePlan {
  root: string;
  files: FileRewrite[];
  /** Files that do not parse and hold a mysqli/PDO/wrapper name: never touched. */
  refused: Array<{ path: string; message: string }>;
  /** Sites seen but not rewritten, with the reason. */
  skipped: Array<{ path: string; line: number; text: string; reason: string }>;
}

const WRAP_PREFIX = '\\Tracekit\\Wrap\\';
/** The prefix recording that the original name was fully qualified. */
const WRAP_PREFIX_FQ = '\\tracekit\\wrap';
const TRACED = new Set(TRACED_FUNCTIONS);
const EVIDENCE = /mysqli|pdo|tracekit\\wrap/i;

function lastSegment(name: string): string {
  return name.split('\\').pop()!.toLowerCase();
}

/** Works out every edit; writes nothing. */
export async function planRewrite(request: RewriteRequest): Promise<RewritePlan> {
  const root = path.resolve(request.cwd, request.dir);
  const plan: RewritePlan = { root, files: [], refused: [], skipped: [] };
  const entryPoints = new Set<string>();
  if (!request.all && !request.revert) {
    const report = await runAudit({ root, threads: 0 });
    for (const entry of report.entryPoints) entryPoints.add(`${entry.file}:${entry.line}`);
  }
  const discovered = (await discoverFiles({ root, extensions: ['php', 'inc', 'phtml'], includeVendor: false, respectGitignore: true })).filter((f) => !f.vendor);
  discovered.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));

  const parsed: Array<{ relPath: string; absPath: string; source: string; facts: FileNameSites }> = [];
  const declared = new Set<string>();
  for (const file of discovered) {
    // latin1: one character per byte, so offsets and the written file are byte-exact whatever the encoding.
    const source = (await readFile(file.absPath)).toString('latin1');
    if (!EVIDENCE.test(source)) continue;
    let facts: FileNameSites;
    try {
      facts = findNameSites(source, file.relPath);
    } catch (error) {
      plan.refused.push({ path: file.relPath, message: (error as Error).message });
      continue;
    }
    for (const name of facts.declaredFunctions) declared.add(name);
    parsed.push({ relPath: file.relPath, absPath: file.absPath, source, facts });
  }

  for (const file of parsed) {
    const edits: Array<RewriteEdit & { start: number; end: number }> = [];
    const { sites, scopes } = file.facts;
    for (const site of sites) {
      const scope = site.scope >= 0 ? scopes[site.scope]! : null;
      const scopeName = scope ? scope.name : 'top level';
      const edit = (to: string): void => {
        edits.push({ start: site.start, end: site.end, line: site.line, kind: site.kind, from: site.text, to, scope: scopeName });
      };
      if (request.revert) {
        if (!site.target.startsWith('tracekit\\wrap\\')) continue;
        if (site.text.startsWith(WRAP_PREFIX)) edit(site.text.slice(WRAP_PREFIX.length));
        else if (site.text.startsWith(`${WRAP_PREFIX_FQ}\\`)) edit(site.text.slice(WRAP_PREFIX_FQ.length));
        else plan.skipped.push({ path: file.relPath, line: site.line, text: site.text, reason: 'not spelled the way tracekit writes it; revert it by hand' });
        continue;
      }
      const wrapped = site.kind === 'call' ? TRACED.has(site.target) : site.target in WRAPPED_CLASSES;
      if (!wrapped) continue;
      if (site.kind === 'call' && site.namespaced !== null && declared.has(site.namespaced)) continue;
      if (site.aliased || lastSegment(site.text) !== lastSegment(site.target)) {
        plan.skipped.push({ path: file.relPath, line: site.line, text: site.text, reason: `reaches ${site.target} through a use alias; rewrite it by hand` });
        continue;
      }
      if (site.kind === 'extends') {
        const clash = (site.methods ?? []).filter((m) => (OVERRIDDEN_METHODS[site.target] ?? []).includes(m));
        if (clash.length > 0) {
          plan.skipped.push({ path: file.relPath, line: site.line, text: site.text, reason: `the class overrides ${clash.join(', ')}(), which would have to match the traced parent's untyped signature; left as it is` });
          continue;
        }
      }
      if (site.kind === 'call' && !request.all) {
        const inEntryPoint = scope !== null && (entryPoints.has(`${file.relPath}:${scope.line}`) || entryPoints.has(`${file.relPath}:${scope.nameLine}`));
        if (!inEntryPoint) continue;
      }
      edit(site.text.startsWith('\\') ? `${WRAP_PREFIX_FQ}${site.text}` : `${WRAP_PREFIX}${site.text}`);
    }
    if (edits.length === 0) continue;
    let after = '';
    let at = 0;
    for (const e of edits) {
      after += file.source.slice(at, e.start) + e.to;
      at = e.end;
    }
    after += file.source.slice(at);
    plan.files.push({
      path: file.relPath,
      absPath: file.absPath,
      before: file.source,
      after,
      edits: edits.map(({ start: _s, end: _e, ...rest }) => rest),
    });
  }
  plan.refused.sort((a, b) => (a.path < b.path ? -1 : 1));
  return plan;
}

/** Writes the planned files (each through a temp file and a rename, keeping no half-written file). */
export async function applyRewrite(plan: RewritePlan): Promise<void> {
  for (const file of plan.files) {
    const temp = `${file.absPath}.tracekit-tmp`;
    try {
      await writeFile(temp, Buffer.from(file.after, 'latin1'));
      await rename(temp, file.absPath);
    } catch (cause) {
      throw new TracekitError('OUTPUT_UNWRITABLE', `expected to rewrite ${file.absPath}, found it unwritable: ${(cause as Error).message}`, { cause });
    }
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * A unified diff (3 lines of context) of one file. The rewrite never adds or
 * removes lines, so old and new line numbers are the same.
 */
export function unifiedDiff(file: FileRewrite): string {
  const before = splitLines(file.before);
  const after = splitLines(file.after);
  const changed: number[] = [];
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.push(i);
  const out: string[] = [`--- a/${file.path}`, `+++ b/${file.path}`];
  const context = 3;
  let i = 0;
  while (i < changed.length) {
    let last = i;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * context) last++;
    const from = Math.max(0, changed[i]! - context);
    const to = Math.min(before.length - 1, changed[last]! + context);
    out.push(`@@ -${from + 1},${to - from + 1} +${from + 1},${to - from + 1} @@`);
    // A last line without a newline is marked the way diff(1) and patch(1) expect.
    const lastIndex = before.length - 1;
    const marker = (k: number): void => {
      if (k === lastIndex && !file.before.endsWith('\n')) out.push('\\ No newline at end of file');
    };
    let line = from;
    while (line <= to) {
      if (before[line] === after[line]) {
        out.push(` ${before[line]}`);
        marker(line);
        line++;
        continue;
      }
      let end = line;
      while (end + 1 <= to && before[end + 1] !== after[end + 1]) end++;
      for (let k = line; k <= end; k++) {
        out.push(`-${before[k]}`);
        marker(k);
      }
      for (let k = line; k <= end; k++) {
        out.push(`+${after[k]}`);
        marker(k);
      }
      line = end + 1;
    }
    i = last + 1;
  }
  return `${out.join('\n')}\n`;
}

interface RewriteOptions {
  all?: boolean;
  write?: boolean;
  revert?: boolean;
}

export function registerPhpRewrite(group: Command, ctx: CommandContext): void {
  group
    .command('rewrite')
    .description('Point mysqli/PDO call sites at the traced wrappers of `tracekit php hooks` (prints a diff; writes only with --write)')
    .argument('[dir]', 'the PHP application', '.')
    .option('--all', 'rewrite every procedural call site, not only those inside the DB entry points the audit finds')
    .option('--write', 'write the changes (default: print a unified diff and change nothing)')
    .option('--revert', 'turn rewritten names back into the originals, exactly')
    .addHelpText(
      'after',
      `
Example:
  $ tracekit php rewrite /srv/shop                 # diff: entry points + every new mysqli/PDO
  $ tracekit php rewrite /srv/shop --all --write   # rewrite every call site
  $ tracekit php rewrite /srv/shop --revert --write
  The rewritten code needs the hooks file (tracekit php hooks) loaded by tracekit-prepend.php.`,
    )
    .action(async (dir: string, options: RewriteOptions) => {
      const plan = await planRewrite({ dir, cwd: ctx.io.cwd, all: options.all === true, revert: options.revert === true });
      const out = ctx.io.stdout;
      if (options.write) {
        await applyRewrite(plan);
      } else {
        // The diff is shown as UTF-8 text; --write itself keeps every byte.
        for (const file of plan.files) out.write(Buffer.from(unifiedDiff(file), 'latin1').toString('utf8'));
      }
      const edits = plan.files.reduce((n, f) => n + f.edits.length, 0);
      const verb = options.write ? (options.revert ? 'reverted' : 'rewrote') : options.revert ? 'would revert' : 'would rewrite';
      const report = options.write ? out : ctx.io.stderr;
      report.write(`${verb} ${edits} name${edits === 1 ? '' : 's'} in ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}\n`);
      for (const file of plan.files) {
        for (const e of file.edits) report.write(`  ${file.path}:${e.line} ${e.from} -> ${e.to} (${e.scope})\n`);
      }
      for (const s of plan.skipped) ctx.io.stderr.write(`skipped ${s.path}:${s.line} ${s.text}: ${s.reason}\n`);
      if (plan.refused.length > 0) {
        for (const r of plan.refused) ctx.io.stderr.write(`refused ${r.path}: it does not parse (${r.message}); left untouched\n`);
        throw new TracekitError('REWRITE_PARSE_ERROR', `expected every file with mysqli/PDO calls to parse, found ${plan.refused.length} that do not (${plan.refused.map((r) => r.path).join(', ')}); the others were ${options.write ? 'rewritten' : 'diffed'}`);
      }
    });
}
