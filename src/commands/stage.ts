import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { writeSeam } from '../collector/generate.js';
import { TracekitError } from '../errors.js';
import { resolveStageOptions } from '../stage/options.js';
import { generateStack } from '../stage/stack.js';
import { PHP_VERSIONS, PUBLISHED } from '../stage/topology.js';

interface StageFlags {
  out?: string;
  app?: string;
  php?: string;
  withExtension?: boolean;
  local?: boolean;
  dir?: string;
  port?: string;
}

export function registerStage(program: Command, ctx: CommandContext): void {
  program
    .command('stage')
    .description('Write the Docker Compose staging stack (app, nginx, php-fpm, MariaDB, sidecar, collector, Tempo, Prometheus, Grafana), or run the pipeline here with --local')
    .option('--out <dir>', 'directory to write the compose stack into')
    .option('--app <path>', 'the PHP application (a directory with .php files and sql/*.sql to seed MariaDB; default: examples/legacy-app)')
    .option('--php <version>', `PHP version of the php-fpm image: ${PHP_VERSIONS.join('|')} (default 8.2)`)
    .option('--with-extension', 'also build the opentelemetry extension from PECL into the php-fpm image (PHP 8.2+)')
    .option('--local', 'run nginx, php-fpm, MariaDB, the sidecar and Prometheus from Debian packages on loopback, without Docker, until SIGINT/SIGTERM')
    .option('--dir <dir>', 'with --local: working directory for configs, data, sockets and traces.jsonl (default: a new temp dir, removed on exit)')
    .option('--port <port>', 'with --local: loopback port nginx listens on (default: a free one)')
    .addHelpText(
      'after',
      `
Examples:
  $ tracekit stage --out ./staging --app /srv/legacy-app --php 8.3 --with-extension
  $ cd staging && docker compose up --build     # app on http://127.0.0.1:${PUBLISHED.app}/, Grafana on :${PUBLISHED.grafana}
  $ tracekit stage --local --port 8080          # no Docker: traces land in DIR/traces.jsonl
`,
    )
    .action(async (flags: StageFlags) => {
      if (flags.local === true) {
        if (flags.out !== undefined) throw new TracekitError('USAGE', '--local runs the pipeline here and writes no stack: expected --dir (optional) instead of --out, found --out');
        const { runLocal } = await import('../stage/local-command.js');
        await runLocal(flags, ctx);
        return;
      }
      if (flags.dir !== undefined || flags.port !== undefined) throw new TracekitError('USAGE', `expected --dir and --port only with --local, found ${flags.dir !== undefined ? '--dir' : '--port'} without it`);
      const options = resolveStageOptions({ out: flags.out, app: flags.app, php: flags.php, withExtension: flags.withExtension, cwd: ctx.io.cwd });
      const files = await generateStack(options);
      await writeSeam(options.outDir, files);
      ctx.io.stdout.write(`wrote ${files.length} files to ${flags.out}\nthen: cd ${flags.out} && docker compose up --build   (see README.md)\n`);
    });
}
