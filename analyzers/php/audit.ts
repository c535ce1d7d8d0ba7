/**
 * The engine behind `tracekit audit`: discover → pass 1 on worker threads
 * (read, prefilter, parse files with DB method calls, scan the rest) → merge
 * → parse on demand the scanned files a receiver's type goes through →
 * summary. How each rule counts is in docs/audit.md.
 */
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { TracekitError } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';
import type { AnalyzeTask } from './analyze-file.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import type { FileFacts, FileTier } from './facts.js';
import { DB_METHODS, SQLITE3_METHODS } from './catalog.js';
import { createPool, type AnalysisPool } from './pool.js';
import { ProjectModel } from './project.js';
import { AUDIT_SCHEMA_VERSION, type AuditReport, type AuditSummary, type SkippedFile } from './report.js';
import { directCallers, summarize } from './summarize.js';

export interface AuditOptions {
  /** The directory to audit. */
  root: string;
  /** File extensions to read, lower case without the dot. Default: php, inc, phtml. */
  extensions?: readonly string[];
  /** Also audit vendor/ trees and report them separately. */
  includeVendor?: boolean;
  /** Skip paths ignored by .gitignore files. Default true. */
  respectGitignore?: boolean;
  /**
   * Worker threads that analyse files alongside the calling thread; 0 analyses on the calling
   * thread alone. Default: defaultThreads() (0 on one or two cores).
   */
  threads?: number;
  /** Files larger than this are skipped with a reason. Default 5 MiB. */
  maxFileBytes?: number;
  /** Called as files are analysed, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Told, in path order once the run is done, how the engine read each file:
   * the report's `analysis`, except that `scan` (the fast scanner's tier) is
   * reported as `ast` there. For tests and benchmarks.
   */
  onFileAnalysed?: (path: string, tier: FileTier) => void;
  /**
   * Skip files holding none of the words any rule looks for (default true).
   * false parses every file; the counts are the same, only slower — for
   * benchmarks and for checking the prefilter's soundness.
   */
  prefilter?: boolean;
}

export const DEFAULT_EXTENSIONS: readonly string[] = ['php', 'inc', 'phtml'];
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Parse-on-demand rounds; each follows one more link of a type chain (factory → global → class). */
const MAX_DEMAND_ROUNDS = 6;

/**
 * Worker threads by core count. On two cores the calling thread alone was as fast in wall time and
 * ~0.4 CPU-s cheaper on both benchmark trees (BENCHMARKS.md `## audit engine`: each worker is a V8
 * isolate that compiles the engine's hot functions again, and the calling thread's run already keeps
 * the second core busy with V8's compiler and GC threads); with more cores, one worker per core beyond
 * the first.
 */
export function defaultThreads(cores: number): number {
  return cores <= 2 ? 0 : Math.min(4, cores - 1);
}

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const root = path.resolve(options.root);
  await checkRoot(root);
  const extensions = normaliseExtensions(options.extensions ?? DEFAULT_EXTENSIONS);
  const includeVendor = options.includeVendor ?? false;
  const respectGitignore = options.respectGitignore ?? true;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const threads = options.threads ?? defaultThreads(availableParallelism());

  // Workers boot (load php-parser, ~70 ms) while the tree is globbed.
  const pool = createPool(threads);
  let discovered: DiscoveredFile[];
  try {
    discovered = await discoverFiles({ root, extensions, includeVendor, respectGitignore });
  } catch (error) {
    await pool.close();
    throw error;
  }
  const projectFiles = discovered.filter((f) => !f.vendor);
  const vendorFiles = discovered.filter((f) => f.vendor);
  const total = discovered.length;
  let done = 0;
  const progress = options.onProgress
    ? (count: number) => {
        done += count;
        options.onProgress!(Math.min(done, total), total);
      }
    : undefined;

  let project: AuditSummary;
  let vendor: AuditSummary | null = null;
  try {
    const prefilter = options.prefilter ?? true;
    const tierOf = options.onFileAnalysed;
    project = await analyseTree(projectFiles, pool, { maxFileBytes, prefilter, tierOf }, progress);
    if (includeVendor) vendor = await analyseTree(vendorFiles, pool, { maxFileBytes, prefilter, tierOf }, progress);
  } finally {
    await pool.close();
  }
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    tool: { name: 'tracekit', version: VERSION },
    root,
    options: { extensions: [...extensions], includeVendor, respectGitignore },
    ...project,
    vendor,
  };
}

async function checkRoot(root: string): Promise<void> {
  let info;
  try {
    info = await stat(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new TracekitError('INPUT_NOT_FOUND', `audit root ${root} does not exist: expected a directory of PHP code, found nothing at that path`);
    }
    throw new TracekitError('INPUT_UNREADABLE', `audit root ${root} cannot be read: expected a readable directory, found ${code ?? 'an error'}`);
  }
  if (!info.isDirectory()) {
    throw new TracekitError('AUDIT_NOT_A_DIRECTORY', `audit root ${root} is not a directory: expected a directory of PHP code, found a ${info.isFile() ? 'file' : 'special file'}`);
  }
  try {
    await readdir(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new TracekitError('INPUT_UNREADABLE', `audit root ${root} cannot be read: expected a readable directory, found ${code}`);
  }
}

function normaliseExtensions(extensions: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of extensions) {
    const ext = raw.trim().replace(/^\./, '').toLowerCase();
    if (!/^[a-z0-9_-]+$/.test(ext)) {
      throw new TracekitError('AUDIT_BAD_EXTENSION', `file extension ${JSON.stringify(raw)} is not valid: expected letters, digits, '_' or '-' (like php, inc), found other characters`);
    }
    out.add(ext);
  }
  if (out.size === 0) throw new TracekitError('AUDIT_BAD_EXTENSION', 'no file extension given: expected at least one, like php');
  return [...out].sort();
}

async function analyseTree(
  files: readonly DiscoveredFile[],
  pool: AnalysisPool,
  settings: { maxFileBytes: number; prefilter: boolean; tierOf?: (path: string, tier: FileTier) => void },
  progress?: (count: number) => void,
): Promise<AuditSummary> {
  const { maxFileBytes } = settings;
  const tasks: AnalyzeTask[] = files.map((f) => ({ absPath: f.absPath, relPath: f.relPath }));
  const outcomes = await pool.run(tasks, { mode: 'tiers', maxFileBytes, prefilter: settings.prefilter }, progress);
  const facts: FileFacts[] = [];
  const skipped: SkippedFile[] = [];
  const taskIndexByPath = new Map<string, number>();
  outcomes.forEach((outcome, i) => {
    if (!outcome) return;
    if (outcome.kind === 'skipped') {
      skipped.push(outcome.skipped);
      return;
    }
    taskIndexByPath.set(outcome.facts.path, i);
    facts.push(outcome.facts);
  });
  const factIndexByPath = new Map<string, number>();
  facts.forEach((f, i) => factIndexByPath.set(f.path, i));

  // On-demand rounds: a scanned file is typed (from its tokens, else parsed) when a receiver's type
  // goes through it (its functions, classes or globals) or when it calls an entry-point method (to
  // type the receiver). Each round only turns scans into typed files, so the loop ends.
  let model = new ProjectModel(facts);
  for (let round = 0; round < MAX_DEMAND_ROUNDS; round++) {
    const toParse = filesToParse(facts, model, factIndexByPath);
    if (toParse.length === 0) break;
    const results = await pool.run(
      toParse.map((p) => tasks[taskIndexByPath.get(p)!]!),
      { mode: 'typed', maxFileBytes },
    );
    results.forEach((outcome, j) => {
      if (outcome?.kind === 'facts') facts[factIndexByPath.get(toParse[j]!)!] = outcome.facts;
    });
    model = new ProjectModel(facts);
  }
  if (settings.tierOf) for (const f of [...facts].sort((a, b) => (a.path < b.path ? -1 : 1))) settings.tierOf(f.path, f.analysis);
  return summarize({ files: facts, skipped }, model);
}

/** Scanned files (tiers `scan` and `no-evidence`) whose AST the report needs, sorted. */
function filesToParse(facts: readonly FileFacts[], model: ProjectModel, indexByPath: ReadonlyMap<string, number>): string[] {
  const entryMethods = new Set<string>();
  for (const key of directCallers(facts, model)) if (key.includes('::')) entryMethods.add(key.slice(key.indexOf('::') + 2));
  const wanted = new Set<string>();
  for (const file of facts) {
    const scanned = file.analysis === 'scan' || file.analysis === 'no-evidence';
    for (const call of file.methodCalls) {
      const db = DB_METHODS.has(call.m) || SQLITE3_METHODS.has(call.m);
      if (!db && !entryMethods.has(call.m)) continue;
      if (scanned && entryMethods.has(call.m)) wanted.add(file.path);
      // Typing the receiver records, in needTypes, the scanned files its type goes through.
      model.resolve(call.r);
    }
  }
  for (const path of model.needTypes) wanted.add(path);
  return [...wanted]
    .filter((p) => {
      const analysis = facts[indexByPath.get(p) ?? -1]?.analysis;
      return analysis === 'scan' || analysis === 'no-evidence';
    })
    .sort();
}
