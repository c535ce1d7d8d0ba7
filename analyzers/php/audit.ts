/**
 * The engine behind `tracekit audit`: discover → pass 1 (read, prefilter,
 * parse evidence files, on worker threads) → merge → demand parsing of the
 * files that name an entry point, a DB subclass or a class/function a
 * receiver needs → summary. How each rule counts is in docs/audit.md.
 */
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { TracekitError } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';
import type { AnalyzeTask } from './analyze-file.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import type { FileFacts } from './facts.js';
import { DB_METHODS, SQLITE3_METHODS } from './catalog.js';
import { lastSegment } from './names.js';
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
  /** Worker threads for parsing; 0 parses on the calling thread. Default: one per core, at most 4. */
  threads?: number;
  /** Files larger than this are skipped with a reason. Default 5 MiB. */
  maxFileBytes?: number;
  /** Called as files are analysed, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Skip files holding none of the words any rule looks for (default true).
   * false parses every file; the counts are the same, only slower — for
   * benchmarks and for checking the prefilter's soundness.
   */
  prefilter?: boolean;
}

export const DEFAULT_EXTENSIONS: readonly string[] = ['php', 'inc', 'phtml'];
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_DEMAND_ROUNDS = 4;

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const root = path.resolve(options.root);
  await checkRoot(root);
  const extensions = normaliseExtensions(options.extensions ?? DEFAULT_EXTENSIONS);
  const includeVendor = options.includeVendor ?? false;
  const respectGitignore = options.respectGitignore ?? true;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const threads = options.threads ?? Math.min(4, availableParallelism());

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
    project = await analyseTree(projectFiles, pool, { maxFileBytes, prefilter }, progress);
    if (includeVendor) vendor = await analyseTree(vendorFiles, pool, { maxFileBytes, prefilter }, progress);
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
  settings: { maxFileBytes: number; prefilter: boolean },
  progress?: (count: number) => void,
): Promise<AuditSummary> {
  const { maxFileBytes } = settings;
  const tasks: AnalyzeTask[] = files.map((f) => ({ absPath: f.absPath, relPath: f.relPath }));
  const outcomes = await pool.run(tasks, { mode: 'evidence', maxFileBytes, prefilter: settings.prefilter }, progress);
  const facts: FileFacts[] = [];
  const skipped: SkippedFile[] = [];
  /** Index into `facts` of each file the prefilter passed over, by task index. */
  const waiting = new Map<number, number>();
  outcomes.forEach((outcome, i) => {
    if (!outcome) return;
    if (outcome.kind === 'skipped') {
      skipped.push(outcome.skipped);
      return;
    }
    if (outcome.facts.analysis === 'no-evidence') waiting.set(i, facts.length);
    facts.push(outcome.facts);
  });

  const factIndexByPath = new Map<string, number>();
  const taskIndexByPath = new Map<string, number>();
  facts.forEach((f, i) => factIndexByPath.set(f.path, i));
  tasks.forEach((t, i) => taskIndexByPath.set(t.relPath, i));

  // Demand rounds: each only adds or deepens analyses, so the loop ends; 4 rounds cover the chains seen in practice.
  let model = new ProjectModel(facts);
  const asked = new Set<string>();
  for (let round = 0; round < MAX_DEMAND_ROUNDS; round++) {
    const words = waiting.size > 0 ? demandWords(facts, model).filter((w) => !asked.has(w)) : [];
    for (const w of words) asked.add(w);
    const toParse = [...model.needTypes].filter((p) => facts[factIndexByPath.get(p) ?? -1]?.analysis === 'scan').sort();
    if (words.length === 0 && toParse.length === 0) break;
    let changed = 0;
    if (words.length > 0) {
      const indices = [...waiting.keys()];
      const results = await pool.run(
        indices.map((i) => tasks[i]!),
        { mode: 'demand', maxFileBytes, words },
      );
      results.forEach((outcome, j) => {
        if (outcome?.kind !== 'facts') return;
        const taskIndex = indices[j]!;
        facts[waiting.get(taskIndex)!] = outcome.facts;
        waiting.delete(taskIndex);
        changed += 1;
      });
    }
    if (toParse.length > 0) {
      const results = await pool.run(
        toParse.map((p) => tasks[taskIndexByPath.get(p)!]!),
        { mode: 'ast', maxFileBytes },
      );
      results.forEach((outcome, j) => {
        if (outcome?.kind !== 'facts') return;
        facts[factIndexByPath.get(toParse[j]!)!] = outcome.facts;
        changed += 1;
      });
    }
    if (changed === 0) break;
    model = new ProjectModel(facts);
  }
  return summarize({ files: facts, skipped }, model);
}

/**
 * What makes a no-evidence file worth parsing after all (tagged words, see
 * demandPattern): calls of entry-point functions and methods (their callers),
 * user subclasses of mysqli/PDO (their `new` and type uses), and the classes,
 * functions and globals a DB receiver's type went through that no parsed
 * file defines.
 */
function demandWords(facts: readonly FileFacts[], model: ProjectModel): string[] {
  const words = new Set<string>();
  const entryPoints = directCallers(facts, model);
  const entryMethods = new Set<string>();
  for (const key of entryPoints) {
    if (key.includes('::')) entryMethods.add(key.slice(key.indexOf('::') + 2));
    words.add(key.includes('::') ? `m:${key.slice(key.indexOf('::') + 2)}` : `f:${lastSegment(key)}`);
  }
  // Typing every DB-relevant receiver records what the model is missing.
  for (const file of facts) {
    for (const call of file.methodCalls) {
      if (!DB_METHODS.has(call.m) && !SQLITE3_METHODS.has(call.m) && !entryMethods.has(call.m)) continue;
      const receiver = model.resolve(call.r);
      if (receiver) model.family(receiver.cls, true);
    }
  }
  for (const [key] of model.classes) {
    const family = model.family(key);
    if (family === 'mysqli' || family === 'pdo') words.add(`k:${lastSegment(key)}`);
  }
  for (const name of model.missingClasses) words.add(`c:${lastSegment(name)}`);
  for (const name of model.missingFunctions) words.add(`d:${lastSegment(name)}`);
  for (const name of model.missingGlobals) words.add(`g:${name}`);
  return [...words].filter((w) => w.length > 2).sort();
}
