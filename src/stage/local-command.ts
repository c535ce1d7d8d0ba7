import type { CommandContext } from '../cli.js';
import { TracekitError } from '../errors.js';
import { startLocalStack } from './local.js';
import { resolveApp } from './options.js';
import path from 'node:path';

export interface LocalFlags {
  app?: string;
  php?: string;
  withExtension?: boolean;
  dir?: string;
  port?: string;
}

function parsePort(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n < 1 || n > 65535) throw new TracekitError('USAGE', `expected --port to be a TCP port 1-65535, found '${raw}'`);
  return n;
}

/**
 * `tracekit stage --local`: starts the pipeline, prints what runs where and
 * a "ready" line, then stays in the foreground until SIGINT/SIGTERM (or a
 * daemon dies) and stops everything it started.
 */
export async function runLocal(flags: LocalFlags, ctx: CommandContext): Promise<void> {
  if (flags.php !== undefined || flags.withExtension === true) {
    throw new TracekitError('USAGE', "expected --php and --with-extension only for the Docker stack, found them with --local (it runs the machine's own php-fpm)");
  }
  const port = parsePort(flags.port);
  const { appDir, sqlFiles } = resolveApp(flags.app, ctx.io.cwd);
  const say = (line: string): void => void ctx.io.stdout.write(`${line}\n`);
  // A signal during start-up must still stop what was started: remember it and stop after.
  let signalled: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = signal;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const stack = await startLocalStack({
      appDir,
      sqlFiles,
      serviceName: path.basename(appDir),
      dir: flags.dir === undefined ? null : path.resolve(ctx.io.cwd, flags.dir),
      port,
      say,
    });
    say('');
    say(`  app         ${stack.appUrl}  (nginx pid ${stack.pids.nginx}, php-fpm pid ${stack.pids['php-fpm']})`);
    say(`  mariadb     ${stack.mariadbSocket}  (pid ${stack.pids.mariadb})`);
    say(`  sidecar     ${stack.sidecarSocket} and ${stack.sidecarUrl}  (pid ${stack.pids.sidecar})`);
    say(`  traces      ${stack.tracesFile}  (one OTLP/JSON export per line)`);
    say(`  prometheus  ${stack.prometheusUrl}  (pid ${stack.pids.prometheus}, scraping the sidecar)`);
    say(`  files       ${stack.dir}${flags.dir === undefined ? '  (removed on exit)' : ''}`);
    say(`ready: ${stack.appUrl} — stop with Ctrl-C (SIGINT) or SIGTERM`);
    const reason = await Promise.race([
      stack.unexpectedExit,
      new Promise<null>((resolve) => {
        wake = () => resolve(null);
        if (signalled !== null) resolve(null);
      }),
    ]);
    say(reason === null ? `stopping (${signalled ?? 'signal'})…` : 'stopping: a daemon died');
    await stack.stop();
    say('stopped');
    if (reason !== null) throw new TracekitError('STAGE_START_FAILED', `stage --local expected its daemons to keep running, found ${reason}`);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
