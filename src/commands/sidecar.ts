import path from 'node:path';
import { Option, type Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { resolveSidecarConfig, type SidecarFlags } from '../sidecar/config.js';
import { renderSystemdUnit } from '../sidecar/index.js';
import { startSidecarThread } from '../sidecar/thread.js';

const EXAMPLES = `
Examples:
  # loopback TCP and a unix socket, ship to the monitoring host, spool while it is down
  $ tracekit sidecar --listen 127.0.0.1:4318 --socket /run/tracekit/otlp.sock \\
      --upstream http://collector:4318 --spool-dir /var/spool/tracekit

  # socket only, writable by php-fpm's group, traces and metrics only (logs dropped at the door)
  $ tracekit sidecar --no-listen --socket-group www-data --signals traces,metrics

  # acknowledged means on disk (survives a crash), bearer token from a file
  $ tracekit sidecar --spool-dir /var/lib/tracekit/spool --durable --token-file /etc/tracekit/token

  # write every forwarded request as an OTLP/JSON line (tests, debugging)
  $ tracekit sidecar --no-socket --listen 127.0.0.1:0 --upstream file:/tmp/spans.jsonl

  # a hardened systemd unit
  $ tracekit sidecar --print-systemd --upstream https://collector.internal:4318 > /etc/systemd/system/tracekit-sidecar.service

Precedence: flags > TRACEKIT_* env > OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/_HEADERS/_TIMEOUT/_COMPRESSION > --config FILE > defaults.
The upstream token comes from --token-file or TRACEKIT_UPSTREAM_TOKEN, never from argv.
Endpoints: POST /v1/traces /v1/metrics /v1/logs, GET /healthz /readyz /metrics. See docs/sidecar.md.
`;

export function registerSidecar(program: Command, ctx: CommandContext): void {
  program
    .command('sidecar')
    .description('Run the local OTLP relay: take spans in microseconds, batch, retry and spool them to the collector')
    .option('--listen <host:port>', 'loopback TCP address to listen on (default 127.0.0.1:4318; port 0 picks one)', undefined)
    .option('--no-listen', 'do not listen on TCP')
    .option('--socket <path>', 'unix socket to listen on (default /run/tracekit/otlp.sock)')
    .option('--no-socket', 'do not listen on a unix socket')
    .option('--socket-mode <octal>', 'permissions of the unix socket (default 0660)')
    .option('--socket-group <group>', "group owning the unix socket (e.g. php-fpm's group)")
    .option('--allow-remote', 'allow --listen on a non-loopback address')
    .option('--upstream <url>', 'collector OTLP/HTTP base URL, or file:/path for JSON lines (default http://localhost:4318)')
    .option('--token-file <path>', 'file holding a bearer token for the upstream')
    .option('--ca-file <path>', 'PEM CA bundle to verify an https upstream')
    .option('--upstream-compression <gzip|none>', 'compression of the batches sent upstream (default none, as the OTLP exporter spec says)')
    .option('--spool-dir <dir>', 'directory for the disk spool (none by default: memory only)')
    .option('--max-queue-bytes <size>', 'memory bound for queued data, e.g. 64MiB (default)')
    .option('--max-spool-bytes <size>', 'disk bound for the spool, e.g. 1GiB (default)')
    .option('--signals <list>', 'signals to accept: traces,metrics,logs (default all); others are dropped and counted')
    .option('--shutdown-timeout <duration>', 'time to drain on SIGTERM/SIGINT, e.g. 10s (default)')
    .option('--durable', 'acknowledge only after the data is written to the spool (needs --spool-dir)')
    .option('--config <file>', 'YAML or JSON file with settings (lowest precedence after defaults)')
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--print-systemd', 'print a hardened systemd unit and exit')
    .addHelpText('after', EXAMPLES)
    .action(async (options: Omit<SidecarFlags, 'listen' | 'socket'> & { printSystemd?: boolean; listen?: string | boolean; socket?: string | boolean }) => {
      // commander sets listen/socket to true for a bare default of --no-x; only strings and false matter.
      const flags: SidecarFlags = { ...options, listen: options.listen === true ? undefined : options.listen, socket: options.socket === true ? undefined : options.socket };
      const config = resolveSidecarConfig({ flags, env: ctx.io.env, cwd: ctx.io.cwd, warn: (m) => ctx.io.stderr.write(`tracekit: warning: ${m}\n`) });
      if (options.printSystemd) {
        ctx.io.stdout.write(
          renderSystemdUnit({
            execPath: path.resolve(process.argv[1] ?? '/usr/local/bin/tracekit'),
            upstream: config.upstream.url,
            user: 'tracekit',
            socketGroup: config.socket?.group ?? 'www-data',
          }),
        );
        return;
      }
      // On its own thread, for a young generation of its own size (src/sidecar/thread.ts).
      const sidecar = await startSidecarThread(config);
      const signal = await Promise.race([
        new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        }),
        sidecar.ended.then(({ code, error }) => {
          throw error ?? new Error(`the sidecar thread ended unexpectedly (exit code ${code})`);
        }),
      ]);
      await sidecar.stop(signal);
    });
}
