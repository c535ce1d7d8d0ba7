import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { checkInputs, generateSeam, writeSeam } from '../collector/generate.js';
import { resolveSeamOptions } from '../collector/options.js';
import { TracekitError } from '../errors.js';

interface CollectorFlags {
  out?: string;
  listen?: string;
  allow?: string[];
  tokenFile?: string;
  tempo?: string;
  grafana?: boolean;
  prometheusUrl?: string;
  configDir?: string;
  otelcolBin?: string;
  tempoBin?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The command line as written into headers: only the flags that change the output, in a fixed order. */
function commandLine(f: CollectorFlags): string {
  const parts = ['tracekit collector'];
  if (f.listen !== undefined) parts.push(`--listen ${f.listen}`);
  if (f.allow !== undefined) parts.push(`--allow ${f.allow.join(',')}`);
  if (f.tokenFile !== undefined) parts.push(`--token-file ${f.tokenFile}`);
  if (f.tempo !== undefined) parts.push(`--tempo ${f.tempo}`);
  if (f.grafana === true) parts.push('--grafana');
  if (f.prometheusUrl !== undefined) parts.push(`--prometheus-url ${f.prometheusUrl}`);
  if (f.configDir !== undefined) parts.push(`--config-dir ${f.configDir}`);
  if (f.otelcolBin !== undefined) parts.push(`--otelcol-bin ${f.otelcolBin}`);
  if (f.tempoBin !== undefined) parts.push(`--tempo-bin ${f.tempoBin}`);
  return parts.join(' ');
}

export function registerCollector(program: Command, ctx: CommandContext): void {
  program
    .command('collector')
    .description('Write the collector seam: OpenTelemetry Collector config, Prometheus scrape job and rules, Grafana dashboards, Tempo config, firewall rules and systemd units')
    .option('--out <dir>', 'directory to write into')
    .option('--listen <address>', 'private IP address the OTLP receivers bind (ports 4317 gRPC, 4318 HTTP)')
    .option('--allow <cidrs>', 'CIDRs allowed to send OTLP, comma-separated (repeatable)', collect)
    .option('--token-file <file>', 'bearer token file on the collector host; turns on OTLP authentication')
    .option('--tempo <url>', "an existing Tempo's OTLP gRPC URL (default: a local Tempo, config written too)")
    .option('--grafana', 'also write Grafana provisioning: datasources and dashboards')
    .option('--prometheus-url <url>', 'Prometheus URL for the Grafana datasource', 'http://127.0.0.1:9090')
    .option('--config-dir <dir>', 'where the files are installed on the monitoring host', '/etc/tracekit')
    .option('--otelcol-bin <path>', 'collector binary named in the systemd unit', '/usr/bin/otelcol-contrib')
    .option('--tempo-bin <path>', 'Tempo binary named in the systemd unit', '/usr/bin/tempo')
    .addHelpText(
      'after',
      '\nExample:\n  tracekit collector --out ./seam --listen 10.0.0.5 --allow 10.0.0.0/24,10.0.1.0/24 --token-file /etc/tracekit/otlp-token --grafana\n',
    )
    .action(async (flags: CollectorFlags) => {
      if (flags.out === undefined) throw new TracekitError('USAGE', '--out expects the directory to write the seam into, found nothing');
      const explicit = (name: keyof CollectorFlags, def: string): string | undefined => (flags[name] === def ? undefined : (flags[name] as string | undefined));
      const shown: CollectorFlags = {
        ...flags,
        prometheusUrl: explicit('prometheusUrl', 'http://127.0.0.1:9090'),
        configDir: explicit('configDir', '/etc/tracekit'),
        otelcolBin: explicit('otelcolBin', '/usr/bin/otelcol-contrib'),
        tempoBin: explicit('tempoBin', '/usr/bin/tempo'),
      };
      const options = resolveSeamOptions({
        listen: flags.listen,
        allow: flags.allow,
        tokenFile: flags.tokenFile,
        tempo: flags.tempo,
        grafana: flags.grafana,
        prometheusUrl: flags.prometheusUrl,
        configDir: flags.configDir,
        otelcolBinary: flags.otelcolBin,
        tempoBinary: flags.tempoBin,
        command: commandLine(shown),
      });
      await checkInputs(options);
      const files = generateSeam(options);
      await writeSeam(flags.out, files);
      ctx.io.stdout.write(`wrote ${files.length} files to ${flags.out}:\n${files.map((f) => `  ${f.path}\n`).join('')}see ${flags.out}/README.md for where each goes\n`);
    });
}
