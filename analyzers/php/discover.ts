/**
 * Finds the PHP files of a tree: by extension (case-insensitive), without
 * node_modules/ and .git/ ever, without vendor/ unless asked, and without
 * paths that a .gitignore at any depth ignores.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';

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

const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/.git/**'];

export function isVendorPath(relPath: string): boolean {
  return relPath === 'vendor' || relPath.startsWith('vendor/') || relPath.includes('/vendor/');
}

export async function discoverFiles(options: DiscoverOptions): Promise<DiscoveredFile[]> {
  const exclude = [...ALWAYS_EXCLUDED];
  if (!options.includeVendor) exclude.push('**/vendor/**');
  const extensions = options.extensions.map((e) => e.toLowerCase());
  const pattern = extensions.length === 1 ? `**/*.${extensions[0]}` : `**/*.{${extensions.join(',')}}`;
  const found = await fg(pattern, {
    cwd: options.root,
    ignore: exclude,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    caseSensitiveMatch: false,
    suppressErrors: true,
  });
  let files = found;
  if (options.respectGitignore) {
    const matchers = await loadGitignores(options.root, exclude);
    if (matchers.length > 0) files = found.filter((rel) => !isIgnored(rel, matchers));
  }
  files.sort();
  return files.map((relPath) => ({ absPath: path.join(options.root, relPath), relPath, vendor: isVendorPath(relPath) }));
}

interface GitignoreMatcher {
  /** Directory of the .gitignore, relative to the root, '' or ending in '/'. */
  base: string;
  matcher: Ignore;
}

async function loadGitignores(root: string, exclude: string[]): Promise<GitignoreMatcher[]> {
  const gitignores = await fg('**/.gitignore', { cwd: root, ignore: exclude, dot: true, onlyFiles: true, followSymbolicLinks: false, suppressErrors: true });
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
