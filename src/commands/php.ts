import { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { DEFAULT_ENDPOINT, DEFAULT_POOL, DEFAULT_SERVICE, planPhpInit, writePhpInit } from '../php/init.js';
import { registerPhpHooks } from '../php/hooks.js';
import { registerPhpRewrite } from '../php/rewrite.js';

/**
 * The `php` command group. Each subcommand registers itself on the group, so
 * `php hooks` and `php rewrite` can be added beside `init` without touching it.
 */
export type RegisterPhpSubcommand = (group: Command, ctx: CommandContext) => void;

export const PHP_SUBCOMMANDS: RegisterPhpSubcommand[] = [registerPhpInit, registerPhpHooks, registerPhpRewrite];

export function registerPhp(program: Command, ctx: CommandContext): void {
  const group = program
    .command('php')
    .description('PHP side of tracing: the fail-safe bootstrap and its configuration snippets');
  for (const register of PHP_SUBCOMMANDS) register(group, ctx);
}

interface InitOptions {
  out: string;
  service?: string;
  endpoint?: string;
  installDir?: string;
  pool?: string;
}

function registerPhpInit(group: Command, ctx: CommandContext): void {
  group
    .command('init')
    .description('Write the auto_prepend_file bootstrap, its runtime, and the php.ini / php-fpm pool snippets that load it')
    .requiredOption('--out <dir>', 'directory to write the files into (created if missing)')
    .option('--service <name>', `service.name of the spans (default: ${DEFAULT_SERVICE})`)
    .option('--endpoint <url>', `where the sidecar listens: unix:///path.sock or http://127.0.0.1:PORT (default: ${DEFAULT_ENDPOINT})`)
    .option('--install-dir <path>', 'absolute directory the files will live in on the PHP hosts (default: the --out directory)')
    .option('--pool <name>', `php-fpm pool the pool snippet adds to (default: ${DEFAULT_POOL})`)
    .addHelpText(
      'after',
      `
Example:
  $ tracekit php init --out ./tracekit-php --service legacy-app \\
      --endpoint unix:///run/tracekit/otlp.sock --install-dir /opt/tracekit/php
  Then copy tracekit-prepend.php and tracekit-runtime.php to /opt/tracekit/php and
  tracekit-fpm-pool.conf to /etc/php/8.2/fpm/pool.d/zz-tracekit.conf (see README.md).`,
    )
    .action(async (options: InitOptions) => {
      const plan = planPhpInit({
        outDir: options.out,
        serviceName: options.service,
        endpoint: options.endpoint,
        installDir: options.installDir,
        pool: options.pool,
        cwd: ctx.io.cwd,
      });
      const written = await writePhpInit(plan);
      for (const file of written) ctx.io.stdout.write(`wrote ${file}\n`);
    });
}
