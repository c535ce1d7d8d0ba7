import type { CliIO } from '../../src/io.js';

/** A CliIO that records what the CLI writes, for in-process tests. */
export function captureIO(overrides: Partial<Pick<CliIO, 'env' | 'cwd'>> = {}): CliIO & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: overrides.env ?? {},
    cwd: overrides.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
}
