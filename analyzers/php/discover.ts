/**
 * Finds the PHP files of a tree: by extension (case-insensitive), without
 * node_modules/ and .git/ ever, without vendor/ unless asked, and without
 * paths that a .gitignore at any depth ignores.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Ignore } from 'ignore';

export interface DiscoveredFile {
  absPath: string;
  /** Relative to the root, forward slashes. */
  relPath: string;
  /** Under a `vendor` directory. */
  vendor: boolean;
}

export interface DiscoverOptions {
  root: string;
  extensions: readonly string[];
  includeVendor: boolean;
  respectGitignore: boolean;
}

/** Directory names never entered, at any depth, in any letter case. */
const ALWAYS_EXCLUDED_DIRS = ['node_modules', '.git'];

export function isVendorPath(relPath: string): boolean {
  return relPath === 'vendor' || relPath.startsWith('vendor/') || relPath.includes('/vendor/');
}

export async function discoverFiles(options: DiscoverOptions): Promise<DiscoveredFile[]> {
  const excludedDirs = new Set(ALWAYS_EXCLUDED_DIRS);
  if (!options.includeVendor) excludedDirs.add('vendor');
  const extensions = new Set(options.extensions.map((e) => e.toLowerCase()));
  const { files: found, gitignores } = walkTree(options.root, excludedDirs, extensions);
  let files = found;
  if (options.respectGitignore && gitignores.length > 0) {
    const matchers = await loadGitignores(options.root, gitignores);
    if (matchers.length > 0) files = found.filter((rel) => !isIgnored(rel, matchers));
  }
  files.sort();
  const prefix = joinPrefix(options.root);
  return files.map((relPath) => ({ absPath: prefix === null ? path.join(options.root, relPath) : prefix + relPath, relPath, vendor: isVendorPath(relPath) }));
}

/**
 * What `path.join(root, relPath)` puts before a relPath of the walk, or null
 * off POSIX (where join also turns the slashes). The walk's relPaths have no
 * `.`, `..` or empty segments, so whatever join does to the root (`.` and ''
 * vanish, `a/../b` is `b`) it does before the last segment; joining each
 * path instead, normalising every time, cost 17–34 ms per 10,005 files.
 */
function joinPrefix(root: string): string | null {
  return path.sep === '/' ? path.join(root, 'x').slice(0, -1) : null;
}

/**
 * One synchronous walk collects the candidate files and the .gitignore files.
 * It replaced two fast-glob passes: measured on a 10,005-file tree, loading
 * fast-glob took ~60 ms and its walk ~0.3 s, this walk ~60 ms. What it
 * matches is what those globs matched: regular files only (symbolic links are
 * neither followed nor listed), dot files and directories included, the
 * extension compared in any letter case, unreadable directories skipped.
 */
function walkTree(root: string, excludedDirs: ReadonlySet<string>, extensions: ReadonlySet<string>): { files: string[]; gitignores: string[] } {
  const files: string[] = [];
  const gitignores: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(dir === '' ? root : path.join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const name = entry.name;
      if (entry.isDirectory()) {
        if (!excludedDirs.has(name.toLowerCase())) pending.push(dir + name + '/');
      } else if (entry.isFile()) {
        const rel = dir + name;
        if (name === '.gitignore') gitignores.push(rel);
        const dot = name.lastIndexOf('.');
        if (dot >= 0 && extensions.has(name.slice(dot + 1).toLowerCase())) files.push(rel);
      }
    }
  }
  return { files, gitignores };
}

interface GitignoreMatcher {
  /** Directory of the .gitignore, relative to the root, '' or ending in '/'. */
  base: string;
  matcher: Ignore;
}

async function loadGitignores(root: string, gitignores: string[]): Promise<GitignoreMatcher[]> {
  // Loaded only for trees that have a .gitignore.
  const { default: ignore } = await import('ignore');
  gitignores.sort();
  const matchers: GitignoreMatcher[] = [];
  for (const rel of gitignores) {
    try {
      const text = await readFile(path.join(root, rel), 'utf8');
      const dir = path.posix.dirname(rel);
      matchers.push({ base: dir === '.' ? '' : `${dir}/`, matcher: ignore().add(text) });
    } catch {
      // An unreadable .gitignore ignores nothing.
    }
  }
  return matchers;
}

function isIgnored(relPath: string, matchers: GitignoreMatcher[]): boolean {
  for (const { base, matcher } of matchers) {
    if (base && !relPath.startsWith(base)) continue;
    if (matcher.ignores(relPath.slice(base.length))) return true;
  }
  return false;
}
