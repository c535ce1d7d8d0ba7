import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TracekitError } from '../errors.js';
import { exampleAppDir, packageRoot } from './package-root.js';
import { PHP_VERSIONS, type PhpVersion } from './topology.js';

export interface RawStageOptions {
  /** --out as typed (it appears in the stamps). */
  readonly out?: string | undefined;
  readonly app?: string | undefined;
  readonly php?: string | undefined;
  readonly withExtension?: boolean | undefined;
  readonly cwd: string;
}

/** Everything the stack generator needs, resolved and validated once. */
export interface StageOptions {
  readonly outDir: string;
  readonly appDir: string;
  /** The app's .sql files in the order MariaDB's entrypoint runs them (by name). */
  readonly sqlFiles: readonly string[];
  readonly php: PhpVersion;
  readonly withExtension: boolean;
  /** service.name of the PHP spans: the app directory's name. */
  readonly serviceName: string;
  readonly packageRoot: string;
  /** The command line written into every stamp. */
  readonly command: string;
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function parsePhpVersion(raw: string | undefined): PhpVersion {
  const value = raw ?? '8.2';
  if (!(PHP_VERSIONS as readonly string[]).includes(value)) {
    throw new TracekitError('USAGE', `expected --php ${PHP_VERSIONS.join('|')}, found '${value}'`);
  }
  return value as PhpVersion;
}

/** Checks --app: a directory with PHP files and an sql/ directory of .sql files. */
export function resolveApp(raw: string | undefined, cwd: string): { appDir: string; sqlFiles: string[] } {
  const appDir = raw === undefined ? exampleAppDir() : path.resolve(cwd, raw);
  const shown = raw ?? appDir;
  let entries: string[];
  try {
    if (!statSync(appDir).isDirectory()) throw new TracekitError('STAGE_BAD_APP', `expected --app to be the PHP application's directory, found a file at ${shown}`);
    entries = readdirSync(appDir);
  } catch (error) {
    if (error instanceof TracekitError) throw error;
    throw new TracekitError('STAGE_BAD_APP', `expected --app to be the PHP application's directory, found nothing readable at ${shown}`);
  }
  if (!entries.some((e) => e.endsWith('.php'))) throw new TracekitError('STAGE_BAD_APP', `expected --app ${shown} to hold .php files at its top level, found none`);
  let sql: string[] = [];
  try {
    sql = readdirSync(path.join(appDir, 'sql')).filter((e) => e.endsWith('.sql'));
  } catch {
    sql = [];
  }
  if (sql.length === 0) throw new TracekitError('STAGE_BAD_APP', `expected ${path.join(shown, 'sql')}/ to hold the .sql files that seed MariaDB (run in name order), found none`);
  // MariaDB's entrypoint runs /docker-entrypoint-initdb.d in name order; --local does the same.
  sql.sort();
  return { appDir, sqlFiles: sql.map((f) => path.join(appDir, 'sql', f)) };
}

export function resolveStageOptions(raw: RawStageOptions, requireOut = true): StageOptions {
  if (requireOut && (raw.out === undefined || raw.out === '')) throw new TracekitError('USAGE', '--out expects the directory to write the compose stack into, found nothing (or use --local to run the pipeline here)');
  const php = parsePhpVersion(raw.php);
  const withExtension = raw.withExtension === true;
  if (withExtension && php === '7.4') {
    throw new TracekitError('STAGE_EXTENSION_NEEDS_PHP82', "expected --php 8.2 or 8.3 with --with-extension (the opentelemetry extension hooks mysqli and PDO only from PHP 8.2), found --php 7.4");
  }
  const { appDir, sqlFiles } = resolveApp(raw.app, raw.cwd);
  const parts = ['tracekit', 'stage'];
  if (raw.out !== undefined) parts.push('--out', raw.out);
  if (raw.app !== undefined) parts.push('--app', raw.app);
  if (raw.php !== undefined) parts.push('--php', raw.php);
  if (withExtension) parts.push('--with-extension');
  const serviceName = path.basename(appDir).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'php-app';
  return Object.freeze({
    outDir: path.resolve(raw.cwd, raw.out ?? '.'),
    appDir,
    sqlFiles,
    php,
    withExtension,
    serviceName,
    packageRoot: packageRoot(),
    command: parts.map(shellWord).join(' '),
  });
}
