// What the audit benchmarks (run.mjs, floor.mjs) share: timing a fresh process,
// and replacing their section of BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TIME = '/usr/bin/time';

/** Runs a command under /usr/bin/time; resolves to wall seconds (hrtime), peak RSS in KiB and stdout. */
export function measure(cmd, args, tmpDir) {
  const timeFile = path.join(tmpDir, 'time.out');
  const useTime = existsSync(TIME);
  const file = useTime ? TIME : cmd;
  const fullArgs = useTime ? ['-f', '%M', '-o', timeFile, cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, fullArgs, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', async (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      let rssKiB = null;
      if (useTime) {
        const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
        rssKiB = Number(lines[lines.length - 1]);
      }
      resolve({ seconds, rssKiB, stdout });
    });
  });
}

/** Replaces the section `## HEADING` of BENCHMARKS.md with text (which starts with that heading), or appends it. */
export async function writeSection(heading, text) {
  const file = path.join(repoRoot, 'BENCHMARKS.md');
  let doc = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n\nEach section is written by its own runnable script under bench/; numbers are ratios against a baseline measured side by side in the same run.\n';
  const start = doc.search(new RegExp(`^## ${heading}\\s*$`, 'm'));
  if (start === -1) {
    doc = `${doc.replace(/\s*$/, '')}\n\n${text}`;
  } else {
    const rest = doc.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next === -1 ? doc.length : start + 1 + next;
    doc = `${doc.slice(0, start)}${text}${next === -1 ? '' : '\n'}${doc.slice(end)}`;
  }
  await writeFile(file, doc.replace(/\n{3,}/g, '\n\n'));
}
