#!/usr/bin/env node
// Per-file speed of the audit engine (analyzers/php, built to dist/) against
// PHP's C tokenizer over the same file list, side by side in one run. Each
// measurement is a fresh process (startup included), median of --runs.
//
//   engine, default tiers (prefilter + scan + typing from tokens + parse where
//   needed), threads 0 (the default on two cores), 1 and 2
//   engine, every file parsed (prefilter off), threads 0
//   php-cli: file_get_contents + token_get_all on every file
// with wall time and the process's CPU time (user + system, all threads).
//
// Then, in this process on one thread, the warm throughput of each stage
// over all the tree's files (the second of two passes): the prefilter regex,
// the scanner + token facts, the scanner + syntax proof + typed token facts,
// and php-parser + AST facts.
//
// Usage: npm run build && node bench/audit-engine.mjs TREE [TREE…] [--runs N]
// A TREE can be made with bench/audit/make-trees.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(repo, 'dist/analyzers/php', p)).href;

if (process.argv[2] === '--child') {
  const [root, threads, prefilter] = process.argv.slice(3);
  // The engine as the CLI runs it: with the V8 flags the audit command sets (analyzers/php/v8-tuning.ts).
  (await import(dist('v8-tuning.js'))).tuneV8ForBatchRun();
  const { runAudit } = await import(dist('audit.js'));
  const tiers = {};
  const report = await runAudit({ root, threads: Number(threads), prefilter: prefilter === 'on', onFileAnalysed: (_p, tier) => (tiers[tier] = (tiers[tier] ?? 0) + 1) });
  const usage = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({ bytes: report.files.bytes, files: report.files.scanned, tiers, maxRssKb: usage.maxRSS, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, callSites: report.coverage[1].callSites.total }) + '\n',
  );
  process.exit(0);
}

const PHP_BASELINE = `
$list = file($argv[1], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES);
$bytes = 0; $tokens = 0;
foreach ($list as $p) { $s = file_get_contents($p); $bytes += strlen($s); $tokens += count(token_get_all($s)); }
echo json_encode(array('files' => count($list), 'bytes' => $bytes, 'tokens' => $tokens)), "\\n";
`;

function timed(cmd, args) {
  const start = process.hrtime.bigint();
  const out = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${out.stderr}`);
  return { seconds, result: JSON.parse(out.stdout.trim().split('\n').pop()) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const args = process.argv.slice(2);
let runs = 3;
const trees = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else trees.push(path.resolve(args[i]));
}
if (trees.length === 0) {
  process.stderr.write('usage: node bench/audit-engine.mjs TREE [TREE…] [--runs N]\n');
  process.exit(2);
}

const { discoverFiles } = await import(dist('discover.js'));
const { parseText } = await import(dist('analyze-file.js'));
const { scanPhp } = await import(dist('scanner.js'));
const { factsFromTokens, typedFactsFromTokens } = await import(dist('token-facts.js'));
const { provesSyntax } = await import(dist('token-syntax.js'));
const { EVIDENCE_PATTERN } = await import(dist('catalog.js'));

function stages(files) {
  const texts = files.map((f) => readFileSync(f.absPath, 'latin1'));
  const mb = texts.reduce((n, t) => n + t.length, 0) / 1e6;
  const stage = (fn) => {
    let seconds = 0;
    for (let pass = 0; pass < 2; pass++) {
      const start = process.hrtime.bigint();
      texts.forEach((t, i) => fn(t, files[i].relPath));
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
    }
    return `${(mb / seconds).toFixed(0)} MB/s`;
  };
  return {
    prefilter: stage((t) => EVIDENCE_PATTERN.test(t)),
    'scan + token facts': stage((t, p) => factsFromTokens(scanPhp(t), p, t.length, 'scan')),
    'scan + syntax proof + typed token facts': stage((t, p) => {
      const tokens = scanPhp(t);
      return provesSyntax(tokens) && typedFactsFromTokens(tokens, p, t.length);
    }),
    'parse + AST facts': stage((t, p) => parseText(t, p, t.length)),
  };
}
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
process.stdout.write(`${new Date().toISOString()} load average before: ${load()}\n`);
const temp = mkdtempSync(path.join(tmpdir(), 'tracekit-audit-bench-'));
try {
  for (const root of trees) {
    const files = await discoverFiles({ root, extensions: ['php', 'inc', 'phtml'], includeVendor: false, respectGitignore: true });
    const list = path.join(temp, 'files.txt');
    writeFileSync(list, files.map((f) => f.absPath).join('\n') + '\n');
    const configs = [
      ['php token_get_all', () => timed('php', ['-d', 'memory_limit=-1', '-r', PHP_BASELINE, list])],
      ['engine, tiers, threads 0', () => timed(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '0', 'on'])],
      ['engine, tiers, threads 1', () => timed(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '1', 'on'])],
      ['engine, tiers, threads 2', () => timed(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '2', 'on'])],
      ['engine, every file parsed, threads 0', () => timed(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '0', 'off'])],
    ];
    // Rounds interleave the configurations, so a change in machine load hits them alike.
    const samples = configs.map(() => []);
    const cpu = configs.map(() => []);
    const last = [];
    for (let r = 0; r < runs; r++) {
      configs.forEach(([, run], i) => {
        last[i] = run();
        samples[i].push(last[i].seconds);
        if (last[i].result.cpuSeconds !== undefined) cpu[i].push(last[i].result.cpuSeconds);
      });
    }
    const rows = configs.map(([label], i) => ({ label, seconds: median(samples[i]), cpuSeconds: cpu[i].length > 0 ? median(cpu[i]) : null, result: last[i].result }));
    const baseline = rows[0];
    const mb = baseline.result.bytes / 1e6;
    process.stdout.write(`\n${root}: ${files.length} files, ${mb.toFixed(1)} MB, median of ${runs}\n`);
    process.stdout.write('| run | wall s | CPU s | MB/s | ratio vs php | peak RSS MB | tiers |\n|---|---|---|---|---|---|---|\n');
    for (const row of rows) {
      const rss = row.result.maxRssKb ? (row.result.maxRssKb / 1024).toFixed(0) : '';
      const tiers = row.result.tiers ? Object.entries(row.result.tiers).sort().map(([k, v]) => `${k} ${v}`).join(', ') : '';
      const cpuText = row.cpuSeconds === null ? '' : row.cpuSeconds.toFixed(2);
      process.stdout.write(`| ${row.label} | ${row.seconds.toFixed(2)} | ${cpuText} | ${(mb / row.seconds).toFixed(1)} | ${(row.seconds / baseline.seconds).toFixed(2)} | ${rss} | ${tiers} |\n`);
    }
    const speeds = stages(files);
    process.stdout.write(`\nstages, one thread, warm, over every file: ${Object.entries(speeds).map(([k, v]) => `${k} ${v}`).join('; ')}\n`);
  }
  process.stdout.write(`\n${new Date().toISOString()} load average after: ${load()}\n`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
