import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/tracekit.js`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process (npm test builds first). */
export function runCli(args: readonly string[], cwd: string = root): CliResult {
  if (!existsSync(`${root}dist/src/cli.js`)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const FIXTURES = fileURLToPath(new URL('../fixtures/doctor/', import.meta.url));
