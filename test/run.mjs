#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line
// ("N passed, N failed, N skipped") that CI can read, then exits with
// vitest's own status. Extra arguments go to vitest (e.g. a file filter).
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const reportFile = path.join(root, 'node_modules', '.vitest-report.json');
await rm(reportFile, { force: true });

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));

let summary = 'tests: 0 passed, 1 failed (vitest wrote no report)';
try {
  const report = JSON.parse(await readFile(reportFile, 'utf8'));
  // A suite that failed to load has no failed test of its own: count it as one.
  const brokenSuites = report.numFailedTests === 0 ? (report.numFailedTestSuites ?? 0) : 0;
  const failed = report.numFailedTests + brokenSuites;
  summary = `tests: ${report.numPassedTests} passed, ${failed} failed, ${report.numPendingTests + report.numTodoTests} skipped`;
  if (report.numTotalTests === 0) summary = 'tests: 0 passed, 1 failed (no test ran)';
} catch {
  // keep the "no report" line
}
process.stdout.write(`\n${summary}\n`);
process.exitCode = code === 0 && !summary.includes(' 0 passed, 1 failed') ? 0 : code || 1;
