import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Finds a real dependency (a binary the tests start). Outside CI a missing
 * one skips the suite that needs it; under CI=true it fails, because
 * .ci/run installs everything and a skip there would hide a broken install.
 */
export function findTool(name: string, extraPaths: readonly string[] = []): string | null {
  for (const p of extraPaths) if (existsSync(p)) return p;
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found.length > 0 ? found : null;
  } catch {
    return null;
  }
}

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Returns the tool's path, throws under CI when it is missing, else returns null (the caller skips). */
export function requireTool(name: string, extraPaths: readonly string[] = []): string | null {
  const found = findTool(name, extraPaths);
  if (found === null && inCI) throw new Error(`required test dependency '${name}' is not installed (CI=true: run test/install-deps.sh)`);
  return found;
}
