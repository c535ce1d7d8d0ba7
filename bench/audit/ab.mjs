#!/usr/bin/env node
// Side-by-side comparison of two builds of `tracekit audit` on the same tree:
// a baseline checkout (built, e.g. `git archive <commit> | tar -x -C DIR`,
// node_modules linked, `npx tsc -p .`) against this one. Rounds alternate
// baseline/current and current/baseline so both share the machine's noise;
// each run is a fresh process (start-up included) writing the JSON report,
// measured by /usr/bin/time: wall, CPU (user + system) and peak RSS. Medians
// are reported, and the two reports must be byte-identical (else exit 1).
//
// Usage (after `npm run build`, under the benchmark lock):
//   flock /tmp/tracekit-bench.lock node bench/audit/ab.mjs BASELINE_DIR TREE [TREE…] [--rounds 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/stats.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function parseArgs(argv) {
  const opts = { baseline: null, trees: [], rounds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') {
      opts.rounds = Number(argv[++i]);
      if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`--rounds expects a positive whole number, found ${argv[i]}`);
    } else if (opts.baseline === null) opts.baseline = path.resolve(a);
    else opts.trees.push(path.resolve(a));
  }
  if (opts.baseline === null || opts.trees.length === 0) {
    throw new Error('usage: node bench/audit/ab.mjs BASELINE_DIR TREE [TREE…] [--rounds N]: expected a baseline checkout and at least one tree');
  }
  return opts;
}

function run(checkout, tree, out, timeFile) {
  execFileSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'node', path.join(checkout, 'bin/tracekit.js'), 'audit', tree, '--format', 'json', '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const [wall, user, sys, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssMiB: rssKiB / 1024 };
}

const opts = parseArgs(process.argv.slice(2));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tk-audit-ab-'));
let identical = true;
try {
  console.log(`${new Date().toISOString()} load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| tree | build | wall s (median) | CPU s (median) | peak RSS MiB (max) | CPU ratio current/baseline |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const tree of opts.trees) {
    const sides = { baseline: { dir: opts.baseline, runs: [] }, current: { dir: repoRoot, runs: [] } };
    // One warm-up each (file cache), not counted.
    for (const side of Object.values(sides)) run(side.dir, tree, path.join(tmp, 'warm.json'), path.join(tmp, 'time'));
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
      for (const name of order) sides[name].runs.push(run(sides[name].dir, tree, path.join(tmp, `${name}.json`), path.join(tmp, 'time')));
    }
    if (!readFileSync(path.join(tmp, 'baseline.json')).equals(readFileSync(path.join(tmp, 'current.json')))) identical = false;
    const cpu = {};
    for (const [name, side] of Object.entries(sides)) {
      cpu[name] = median(side.runs.map((r) => r.cpu));
      const wall = median(side.runs.map((r) => r.wall));
      const rss = Math.max(...side.runs.map((r) => r.rssMiB));
      const ratio = name === 'current' ? (cpu.current / cpu.baseline).toFixed(3) : '';
      console.log(`| ${path.basename(tree)} | ${name} | ${wall.toFixed(2)} | ${cpu[name].toFixed(2)} | ${rss.toFixed(0)} | ${ratio} |`);
    }
  }
  console.log(`${new Date().toISOString()} load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(identical ? 'reports: byte-identical on every tree' : 'reports: DIFFERENT');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (!identical) process.exit(1);
