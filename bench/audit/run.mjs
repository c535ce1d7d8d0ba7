#!/usr/bin/env node
// The audit benchmark: `tracekit audit` against PHP's own C tokenizer
// (token_get_all over the same file list, run by php-cli), side by side in
// one run, on the example grown to a large tree and on a generated ~50 MB
// tree. Runs alternate A/B, B/A (so both share the machine's noise), and
// the table reports median wall times, their ratio and each side's peak RSS.
//
// Usage (after `npm run build`):
//   node bench/audit/run.mjs [--rounds 5] [--only grown|generated] [--out DIR]
//                            [--copies N] [--mb N] [--threads N] [--write]
// --write replaces the `## audit` section of BENCHMARKS.md with the table.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, GENERATED_MIX, TRAP_SHARE, makeTrees } from './make-trees.mjs';
import { median } from '../lib/stats.mjs';
import { measure, writeSection } from './measure.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repoRoot, 'bin/tracekit.js');
const tokenizer = path.join(repoRoot, 'bench/audit/tokenize.php');
const EXTENSIONS = /\.(php|inc|phtml)$/i;
const ALWAYS_SKIPPED_DIRS = new Set(['vendor', 'node_modules', '.git']);

function parseArgs(argv) {
  const opts = { rounds: 5, only: null, out: DEFAULTS.out, copies: DEFAULTS.copies, mb: DEFAULTS.mb, threads: null, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} expects a value`);
      return v;
    };
    if (a === '--rounds') opts.rounds = Number(value());
    else if (a === '--only') opts.only = value();
    else if (a === '--out') opts.out = path.resolve(value());
    else if (a === '--copies') opts.copies = Number(value());
    else if (a === '--mb') opts.mb = Number(value());
    else if (a === '--threads') opts.threads = Number(value());
    else if (a === '--write') opts.write = true;
    else throw new Error(`unknown argument ${a}; see the usage at the top of bench/audit/run.mjs`);
  }
  for (const k of ['rounds', 'copies', 'mb']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} expects a positive whole number, found ${opts[k]}`);
  }
  if (opts.threads !== null && (!Number.isInteger(opts.threads) || opts.threads < 0)) throw new Error(`--threads expects a whole number >= 0, found ${opts.threads}`);
  if (opts.only !== null && opts.only !== 'grown' && opts.only !== 'generated') throw new Error(`--only expects grown or generated, found ${opts.only}`);
  return opts;
}

/** The files the audit should read, by its documented rules (the tree has no .gitignore). */
async function walk(dir, rel = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!ALWAYS_SKIPPED_DIRS.has(entry.name)) out.push(...(await walk(path.join(dir, entry.name), relPath)));
    } else if (entry.isFile() && EXTENSIONS.test(entry.name)) {
      out.push(relPath);
    }
  }
  return out;
}

async function benchTree(name, tree, opts, tmpDir, log) {
  const reportFile = path.join(tmpDir, `audit-${name}.report.json`);
  const listFile = path.join(tmpDir, `audit-${name}.list`);
  const auditArgs = [cli, 'audit', tree.dir, '--format', 'json', '--out', reportFile, '--no-progress'];
  if (opts.threads !== null) auditArgs.push('--threads', String(opts.threads));

  // Warm-up audit: fills the page cache and gives the exact file list.
  log(`${name}: warm-up audit`);
  await measure(process.execPath, auditArgs, tmpDir);
  const report = JSON.parse(await readFile(reportFile, 'utf8'));
  const audited = report.perFile.map((f) => f.path);
  const expected = await walk(tree.dir);
  if (expected.length !== audited.length + report.skipped.length) {
    throw new Error(`${name}: the audit read ${audited.length} files (+${report.skipped.length} skipped), the tree has ${expected.length} .php/.inc/.phtml files`);
  }
  await writeFile(listFile, audited.map((p) => path.join(tree.dir, p)).join('\n') + '\n');
  log(`${name}: warm-up tokenizer`);
  const tokArgs = ['-d', 'memory_limit=-1', tokenizer, listFile];
  const warm = JSON.parse((await measure('php', tokArgs, tmpDir)).stdout);

  const runs = { tokenizer: [], audit: [] };
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? ['tokenizer', 'audit'] : ['audit', 'tokenizer'];
    for (const which of order) {
      const m = which === 'tokenizer' ? await measure('php', tokArgs, tmpDir) : await measure(process.execPath, auditArgs, tmpDir);
      runs[which].push(m);
      log(`${name}: round ${r + 1}/${opts.rounds} ${which} ${m.seconds.toFixed(2)} s, ${m.rssKiB === null ? '?' : (m.rssKiB / 1024).toFixed(0)} MiB`);
    }
  }
  const analysis = { ast: 0, tokens: 0, 'no-evidence': 0 };
  for (const f of report.perFile) analysis[f.analysis] = (analysis[f.analysis] ?? 0) + 1;
  const summary = (which) => ({
    medianSeconds: median(runs[which].map((m) => m.seconds)),
    peakRssMiB: runs[which].some((m) => m.rssKiB === null) ? null : Math.max(...runs[which].map((m) => m.rssKiB)) / 1024,
  });
  return {
    name,
    files: warm.files,
    bytes: warm.bytes,
    tokens: warm.tokens,
    tokenizer: summary('tokenizer'),
    audit: summary('audit'),
    analysis,
    found: {
      mysqliCallSites: report.mysqli.callSites,
      pdoNew: report.pdo.newInstances,
      methodCalls: report.methodCalls,
      entryPoints: report.entryPoints.length,
      parseErrors: report.files.parseErrors,
      skipped: report.files.skipped,
    },
  };
}

function fmtMiB(v) {
  return v === null ? 'n/a' : `${v.toFixed(0)} MiB`;
}

function table(results) {
  const lines = [
    '| tree | files | MiB | tokenizer (median) | audit (median) | ratio audit/tokenizer | audit MiB/s | peak RSS tokenizer | peak RSS audit |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const mib = r.bytes / 1048576;
    lines.push(
      `| ${r.name} | ${r.files} | ${mib.toFixed(1)} | ${r.tokenizer.medianSeconds.toFixed(2)} s | ${r.audit.medianSeconds.toFixed(2)} s | **${(r.audit.medianSeconds / r.tokenizer.medianSeconds).toFixed(2)}** | ${(mib / r.audit.medianSeconds).toFixed(1)} | ${fmtMiB(r.tokenizer.peakRssMiB)} | ${fmtMiB(r.audit.peakRssMiB)} |`,
    );
  }
  return lines.join('\n');
}

function verdict(results) {
  return results
    .map((r) => {
      const ratio = r.audit.medianSeconds / r.tokenizer.medianSeconds;
      const rss = r.audit.peakRssMiB;
      const speed = ratio <= 1 ? `ratio ${ratio.toFixed(2)} ≤ 1.0: met` : `ratio ${ratio.toFixed(2)} > 1.0: **not met**`;
      const memory = rss === null ? 'peak RSS not measured (/usr/bin/time missing)' : rss <= 300 ? `peak RSS ${rss.toFixed(0)} MiB ≤ 300: met` : `peak RSS ${rss.toFixed(0)} MiB > 300: **not met**`;
      return `- ${r.name}: ${speed}; ${memory}.`;
    })
    .join('\n');
}

function versions() {
  const php = execFileSync('php', ['-r', 'echo PHP_VERSION;'], { encoding: 'utf8' }).trim();
  return { node: process.version, php, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' };
}

/** The grown tree is N renamed copies of the example: its counts must be N times the example's. */
async function checkGrown(grown, copies, tmpDir) {
  const reportFile = path.join(tmpDir, 'audit-example.report.json');
  await measure(process.execPath, [cli, 'audit', path.join(repoRoot, 'examples/legacy-app'), '--format', 'json', '--out', reportFile, '--no-progress'], tmpDir);
  const example = JSON.parse(await readFile(reportFile, 'utf8'));
  const pairs = [
    ['mysqli call sites', example.mysqli.callSites, grown.found.mysqliCallSites],
    ['mysqli method calls', example.methodCalls.mysqli, grown.found.methodCalls.mysqli],
    ['PDO method calls', example.methodCalls.pdo, grown.found.methodCalls.pdo],
    ['entry points', example.entryPoints.length, grown.found.entryPoints],
  ];
  const bad = pairs.filter(([, one, all]) => one * copies !== all);
  const text = pairs.map(([what, one, all]) => `${what} ${one} × ${copies} = ${all}`).join(', ');
  return bad.length === 0 ? `the audit's counts on the grown tree are ${copies} × the example's (${text}).` : `**mismatch**: the grown tree's counts are not ${copies} × the example's (${text}).`;
}

function section(results, meta, consistency) {
  const mix = GENERATED_MIX.map((m) => `${m.kind} ${(m.share * 100).toFixed(0)} %`).join('; ');
  const details = results
    .map((r) => `- ${r.name}: ${r.files} files, ${r.tokens.toLocaleString('en-US')} tokens; the report's perFile analysis: ${Object.entries(r.analysis).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')} (ast = fully analysed, by php-parser or the token tiers that give the same facts — the engine's own tier counts are in \`## audit engine\`; no-evidence = no DB word, passed over by the prefilter); found ${r.found.mysqliCallSites} mysqli call sites, ${r.found.methodCalls.mysqli} mysqli / ${r.found.methodCalls.pdo} PDO / ${r.found.methodCalls.unknown} unknown DB method calls, ${r.found.entryPoints} entry points, ${r.found.parseErrors} parse errors, ${r.found.skipped} skipped.`)
    .join('\n');
  return `## audit

\`tracekit audit DIR --format json --out FILE\` against PHP's C tokenizer
(\`php -d memory_limit=-1 bench/audit/tokenize.php LIST\`: \`token_get_all()\`
over exactly the files the audit read), measured side by side in one run:
${meta.rounds} rounds alternating tokenizer/audit and audit/tokenizer after one
warm-up of each, median wall time, peak RSS from \`/usr/bin/time -f %M\`.
Goal: ratio ≤ 1.0 and audit peak RSS ≤ 300 MiB.

${table(results)}

${verdict(results)}

- Date: ${meta.date}. Command: \`${meta.command}\` (after \`npm run build\`).
- Machine: ${meta.cpus} cores (${meta.cpuModel}), Node ${meta.node}, PHP ${meta.php}; audit threads: ${meta.threads}.
  Load average (1/5/15 min) before the run ${meta.loadBefore}, after it ${meta.loadAfter} (the benchmark's own load included)${meta.loadNote}
${details}${consistency === null ? '' : `\n- Consistency: ${consistency}`}

Trees (\`node bench/audit/make-trees.mjs\`, written under \`.bench-tmp/\`, never committed):

- **grown**: examples/legacy-app copied ${meta.copies} times into \`site-cNNNN/\`, global
  function, class and namespace names suffixed per copy so the tree is one
  valid project.
- **generated**: ~${meta.mb} MiB from a seeded PRNG (seed ${DEFAULTS.seed}), shaped like a
  mature legacy application: a small DB layer (\`inc/db.php\` wrapper over
  procedural mysqli, \`inc/pdo.php\`, \`inc/bootstrap.php\`, \`inc/config.php\`)
  and, by share of files: ${mix}. File sizes are log-spread around each
  kind's median with a long tail. ${Math.round(TRAP_SHARE * 100)} % of the files without DB code carry
  words a naive search trips on ("dropdown" holds "pdo", "query string",
  "execute", "commit", mentions of mysqli/PDO) in comments, strings and HTML.
`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(path.join(repoRoot, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` first');
  const log = (m) => process.stderr.write(`${m}\n`);
  await mkdir(opts.out, { recursive: true });
  const tmpDir = path.join(opts.out, 'audit-run');
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });

  const trees = await makeTrees({ out: opts.out, copies: opts.copies, mb: opts.mb, only: opts.only, log });
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const results = [];
  for (const name of ['grown', 'generated']) {
    if (trees[name] !== undefined) results.push(await benchTree(name, trees[name], opts, tmpDir, log));
  }
  const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const grown = results.find((r) => r.name === 'grown');
  const consistency = grown === undefined ? null : await checkGrown(grown, opts.copies, tmpDir);
  // Only the load before the run speaks of other work: the one after
  // includes the benchmark's own processes.
  const busy = Number(loadBefore.split(' ')[0]) > 1.0;
  const meta = {
    ...versions(),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    command: `node bench/audit/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    rounds: opts.rounds,
    copies: opts.copies,
    mb: opts.mb,
    threads: opts.threads === null ? 'default' : String(opts.threads),
    loadBefore,
    loadAfter,
    loadNote: busy
      ? ' — the machine was shared with other work during this run; both sides ran under the same load, so the ratio stays meaningful, the absolute times less so.'
      : '; other helpers were working on this machine on and off, so single runs vary; the ratio is measured side by side.',
  };
  const text = section(results, meta, consistency);
  process.stdout.write(`${text}\n`);
  if (opts.write) {
    await writeSection('audit', text);
    log('BENCHMARKS.md: ## audit updated');
  }
  await rm(tmpDir, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`bench/audit: ${error.message}\n`);
  process.exitCode = 1;
});
