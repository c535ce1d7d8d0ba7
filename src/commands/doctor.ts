import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { TracekitError } from '../errors.js';
import { formatFinding, parseFailLevel, severityRank } from '../doctor/findings.js';
import { runDoctor } from '../doctor/run.js';

interface DoctorFlags {
  collector?: string;
  prometheus?: string;
  dashboards?: string;
  managedSettings?: string;
  fpmPool?: string;
  failLevel?: string;
  format?: string;
}

export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('Check existing collector, Prometheus, Grafana, agent and php-fpm configs against the known traps and say what to change')
    .option('--collector <file>', 'OpenTelemetry Collector config (YAML)')
    .option('--prometheus <file>', 'prometheus.yml (its rule_files are checked too) or a rules file')
    .option('--dashboards <dir>', 'directory of Grafana dashboard JSON (or one file)')
    .option('--managed-settings <file>', "the agents' managed-settings.json")
    .option('--fpm-pool <file>', 'a php-fpm pool file')
    .option('--fail-level <level>', 'exit 1 when a finding is at or above info, warning or error', 'warning')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      '\nWith no file flag, checks what exists at the usual locations.\n\nExample:\n  tracekit doctor --collector /etc/otelcol-contrib/config.yaml --managed-settings /etc/claude-code/managed-settings.json --fail-level error\n',
    )
    .action(async (flags: DoctorFlags) => {
      const failLevel = parseFailLevel(flags.failLevel);
      if (flags.format !== 'text' && flags.format !== 'json') throw new TracekitError('USAGE', `--format expects text or json, found '${String(flags.format)}'`);
      const { findings, checked } = await runDoctor({
        collector: flags.collector,
        prometheus: flags.prometheus,
        dashboards: flags.dashboards,
        managedSettings: flags.managedSettings,
        fpmPool: flags.fpmPool,
      });
      const failing = findings.filter((f) => severityRank(f.severity) >= severityRank(failLevel));
      if (flags.format === 'json') {
        ctx.io.stdout.write(`${JSON.stringify({ checked, failLevel, failing: failing.length, findings }, null, 2)}\n`);
      } else {
        for (const f of findings) ctx.io.stdout.write(formatFinding(f));
        ctx.io.stdout.write(`checked ${checked.join(', ')}: ${findings.length} finding(s), ${failing.length} at or above ${failLevel}\n`);
      }
      if (failing.length > 0) ctx.setExitCode(1);
    });
}
