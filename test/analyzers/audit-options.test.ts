// Options, limits and errors of runAudit: --ext, .gitignore, vendor, file
// size, unreadable files, bad roots, and the prefilter's soundness.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../analyzers/php/audit.js';
import { discoverFiles } from '../../analyzers/php/discover.js';
import type { AuditReport } from '../../analyzers/php/report.js';

const tree = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/audit/tree');
// Unreadable files and directories are tested through the CLI (test/cli/audit-cli.test.ts),
// which can take the permission-bypassing capabilities away when the tests run as root.

let temp: string;
let base: AuditReport;
beforeAll(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'tracekit-audit-'));
  base = await runAudit({ root: tree, threads: 0 });
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('file selection', () => {
  it('--ext changes the extensions (case-insensitive, normalised)', async () => {
    const report = await runAudit({ root: tree, threads: 0, extensions: ['INC', '.phtml'] });
    expect(report.perFile.map((f) => f.path)).toEqual(['templates/header.inc', 'templates/view.PHTML']);
    expect(report.options.extensions).toEqual(['inc', 'phtml']);
  });

  it('reads .gitignored paths when told not to respect .gitignore, never node_modules/', async () => {
    const report = await runAudit({ root: tree, threads: 0, respectGitignore: false });
    const paths = report.perFile.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['generated/compiled.php', 'lib/routes.cache.php', 'legacy/old/dead.php']));
    expect(paths).not.toContain('node_modules/pkg/x.php');
    expect(report.mysqli.callSites).toBe(base.mysqli.callSites + 3);
  });

  it('lists regular files only: dot files yes, symbolic links never (not followed, not listed), excluded directories in any case', async () => {
    const root = path.join(temp, 'walk');
    const outside = path.join(temp, 'walk-outside');
    for (const dir of ['a', '.hidden', 'Vendor/x', 'Node_Modules/q', '.GIT/h', 'sub/vendor/k', 'dir.php', outside]) await mkdir(path.resolve(root, dir), { recursive: true });
    const php = '<?php mysqli_query($db, "SELECT 1");\n';
    for (const file of ['a/x.php', 'a/B.PHP', 'a/.php', 'a/x.php.bak', '.hidden/h.inc', 'Vendor/x/v.php', 'Node_Modules/q/n.php', '.GIT/h/g.php', 'sub/vendor/k/v.php', 'dir.php/in.php']) {
      await writeFile(path.join(root, file), php);
    }
    await writeFile(path.join(outside, 'o.php'), php);
    await symlink(outside, path.join(root, 'a/link'));
    await symlink('x.php', path.join(root, 'a/linked.php'));
    await symlink('/nonexistent/target.php', path.join(root, 'a/dangling.php'));
    const report = await runAudit({ root, threads: 0 });
    expect(report.perFile.map((f) => f.path)).toEqual(['.hidden/h.inc', 'a/.php', 'a/B.PHP', 'a/x.php', 'dir.php/in.php']);
    const withVendor = await runAudit({ root, threads: 0, includeVendor: true });
    expect(withVendor.perFile.map((f) => f.path)).toContain('Vendor/x/v.php');
    expect(withVendor.vendor!.perFile.map((f) => f.path)).toEqual(['sub/vendor/k/v.php']);
  });

  it('absolute paths are the root joined to each relative path, however the root is written', async () => {
    const cwd = process.cwd();
    process.chdir(path.dirname(tree));
    try {
      const up = path.relative(path.join(tree, 'lib'), tree);
      for (const root of [tree, `${tree}/`, `${tree}/./lib/${up}`, path.relative(process.cwd(), tree), `./${path.basename(tree)}/`]) {
        const files = await discoverFiles({ root, extensions: ['php', 'inc', 'phtml'], includeVendor: true, respectGitignore: true });
        expect(files.length).toBeGreaterThan(30);
        for (const file of files) expect(file.absPath).toBe(path.join(root, file.relPath));
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it('--include-vendor reports vendor/ separately and leaves the project summary unchanged', async () => {
    const report = await runAudit({ root: tree, threads: 0, includeVendor: true });
    const { vendor, options, ...project } = report;
    const { vendor: noVendor, options: baseOptions, ...baseProject } = base;
    expect(noVendor).toBeNull();
    expect(options.includeVendor).toBe(true);
    expect(baseOptions.includeVendor).toBe(false);
    expect(project).toEqual(baseProject);
    expect(vendor).not.toBeNull();
    expect(vendor!.perFile.map((f) => f.path)).toEqual(['vendor/acme/dbal/Connection.php', 'vendor/acme/dbal/helpers.php']);
    expect(vendor!.mysqli.callSites).toBe(2);
    expect(vendor!.methodCalls).toMatchObject({ mysqli: 0, pdo: 1, unknown: 0 });
    expect(vendor!.pdo.subclasses).toEqual(['Acme\\Dbal\\Connection (vendor/acme/dbal/Connection.php:4)']);
    expect(vendor!.entryPoints.map((e) => e.name)).toEqual(['Acme\\Dbal\\Connection::run']);
  });

  it('reports progress up to the total', async () => {
    const seen: Array<[number, number]> = [];
    await runAudit({ root: tree, threads: 0, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toEqual([37, 37]);
  });
});

describe('the prefilter and the scan tier', () => {
  it('change no count: parsing every file gives the same rows', async () => {
    const all = await runAudit({ root: tree, threads: 0, prefilter: false });
    const strip = (r: AuditReport) => ({ ...r, files: { ...r.files, parsed: 0 }, perFile: r.perFile.map((f) => ({ ...f, analysis: f.analysis === 'tokens' ? 'tokens' : 'ast' })) });
    // Every tier was really used (else this comparison would prove nothing).
    const tiers = new Set<string>();
    await runAudit({ root: tree, threads: 0, onFileAnalysed: (_p, tier) => tiers.add(tier) });
    expect([...tiers].sort()).toEqual(['ast', 'no-evidence', 'scan', 'tokens', 'typed']);
    expect(strip(all)).toEqual(strip(base));
    expect(all.files.parsed).toBe(36);
    expect(base.files.parsed).toBe(35);
  });
});

describe('limits', () => {
  it('skips a file over maxFileBytes with a reason and goes on', async () => {
    const root = path.join(temp, 'sizes');
    await cp(path.join(tree, 'rules'), root, { recursive: true });
    await writeFile(path.join(root, 'big.php'), `<?php\n${'mysqli_query($l, "x");\n'.repeat(200)}`);
    const report = await runAudit({ root, threads: 0, maxFileBytes: 2048 });
    expect(report.skipped).toEqual([{ path: 'big.php', reason: 'too-large', detail: expect.stringMatching(/^\d+ bytes, over the limit of 2048$/) }]);
    expect(report.perFile.map((f) => f.path)).not.toContain('big.php');
    expect(report.mysqli.callSites).toBe(11);
  });

  it('counts a file too deep for the parser from its tokens, flags it, and goes on', async () => {
    const root = path.join(temp, 'deep');
    await cp(path.join(tree, 'rules'), root, { recursive: true });
    const terms = Array.from({ length: 20000 }, (_, i) => `$v${i}`).join(' . ');
    await writeFile(path.join(root, 'deep.php'), `<?php $x = ${terms}; $db->query($x); mysqli_query($l, $x);\n`);
    const report = await runAudit({ root, threads: 0 });
    const deep = report.perFile.find((f) => f.path === 'deep.php')!;
    expect(deep).toMatchObject({ analysis: 'tokens', mysqliCallSites: 1, methodCalls: { mysqli: 0, pdo: 0, unknown: 1 } });
    expect(deep.parseError).not.toBeNull();
    expect(report.parseErrors.map((e) => e.path)).toEqual(['deep.php']);
    expect(report.mysqli.callSites).toBe(12);
  });
});

describe('bad roots', () => {
  it('a missing directory is INPUT_NOT_FOUND naming the path', async () => {
    const missing = path.join(temp, 'nope');
    await expect(runAudit({ root: missing, threads: 0 })).rejects.toMatchObject({
      code: 'TRACEKIT_E_INPUT_NOT_FOUND',
      exitCode: 2,
      message: expect.stringContaining(missing),
    });
  });

  it('a file is AUDIT_NOT_A_DIRECTORY', async () => {
    const file = path.join(tree, 'lib/db.php');
    await expect(runAudit({ root: file, threads: 0 })).rejects.toMatchObject({
      code: 'TRACEKIT_E_AUDIT_NOT_A_DIRECTORY',
      exitCode: 2,
      message: expect.stringMatching(/is not a directory: expected a directory of PHP code, found a file/),
    });
  });

  it('a malformed extension is AUDIT_BAD_EXTENSION', async () => {
    await expect(runAudit({ root: tree, threads: 0, extensions: ['php', '*.inc'] })).rejects.toMatchObject({
      code: 'TRACEKIT_E_AUDIT_BAD_EXTENSION',
      message: expect.stringContaining('"*.inc"'),
    });
  });

});
