import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { installNotes, parseEndpoint, parseProtocol, parseResourceAttributes, parseToken, renderManagedSettings } from '../agent/settings.js';
import { TracekitError } from '../errors.js';
import { checkManagedSettings } from '../doctor/check-managed-settings.js';
import { formatFinding, parseFailLevel, severityRank, sortFindings } from '../doctor/findings.js';
import { parseJsonText } from '../doctor/run.js';

interface SettingsFlags {
  endpoint?: string;
  protocol?: string;
  tokenFile?: string;
  resourceAttributes?: string;
  out?: string;
  check?: string;
  failLevel?: string;
}

async function readInput(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TracekitError('INPUT_NOT_FOUND', `${flag} expects an existing file, found nothing at ${file}`);
    throw new TracekitError('INPUT_UNREADABLE', `${flag} expects a readable file, cannot read ${file} (${code ?? 'error'})`);
  }
}

export function registerAgent(program: Command, ctx: CommandContext): void {
  const agent = program
    .command('agent')
    .description('Configure the AI coding agents (Claude Code) that report to the seam')
    .addHelpText('after', '\nExample:\n  tracekit agent settings --endpoint http://10.0.0.5:4317 --out managed-settings.json\n');
  agent
    .command('settings')
    .description("Write the agent hosts' managed-settings.json (metrics only, every telemetry trap set), or --check an existing one")
    .option('--endpoint <url>', "the collector's OTLP URL, e.g. http://10.0.0.5:4317")
    .option('--protocol <protocol>', 'grpc or http/protobuf', 'grpc')
    .option('--token-file <file>', 'file holding the bearer token the collector expects')
    .option('--resource-attributes <list>', 'extra OTEL_RESOURCE_ATTRIBUTES, e.g. host.name=web-1 (for the per-host panels)')
    .option('--out <file>', 'write here instead of stdout')
    .option('--check <file>', 'validate an existing managed-settings.json instead of writing one')
    .option('--fail-level <level>', 'with --check: exit 1 on a finding at or above info, warning or error', 'warning')
    .addHelpText(
      'after',
      '\nExamples:\n  tracekit agent settings --endpoint http://10.0.0.5:4317 --token-file /etc/tracekit/otlp-token --out managed-settings.json\n  tracekit agent settings --check /etc/claude-code/managed-settings.json\n',
    )
    .action(async (flags: SettingsFlags) => {
      const failLevel = parseFailLevel(flags.failLevel);
      if (flags.check !== undefined) {
        const file = flags.check;
        const findings = sortFindings(checkManagedSettings(parseJsonText(await readInput(file, '--check'), file, '--check'), file));
        for (const f of findings) ctx.io.stdout.write(formatFinding(f));
        const failing = findings.filter((f) => severityRank(f.severity) >= severityRank(failLevel));
        if (failing.length > 0) {
          throw new TracekitError('AGENT_SETTINGS_INVALID', `${file}: ${failing.length} problem(s) at or above ${failLevel} (expected none)`);
        }
        ctx.io.stdout.write(`${file}: ok (${findings.length} finding(s) below ${failLevel})\n`);
        return;
      }
      if (flags.endpoint === undefined) throw new TracekitError('USAGE', "--endpoint expects the collector's OTLP URL (e.g. http://10.0.0.5:4317), found nothing");
      const protocol = parseProtocol(flags.protocol);
      const endpoint = parseEndpoint(flags.endpoint, protocol);
      const token = flags.tokenFile === undefined ? null : parseToken(await readInput(flags.tokenFile, '--token-file'), flags.tokenFile);
      const resourceAttributes = parseResourceAttributes(flags.resourceAttributes);
      const command = [
        'tracekit agent settings',
        `--endpoint ${endpoint}`,
        `--protocol ${protocol}`,
        ...(flags.tokenFile !== undefined ? [`--token-file ${flags.tokenFile}`] : []),
        ...(resourceAttributes !== null ? [`--resource-attributes ${resourceAttributes}`] : []),
      ].join(' ');
      const text = renderManagedSettings({ endpoint, protocol, token, resourceAttributes, command });
      if (flags.out === undefined) {
        ctx.io.stdout.write(text);
        ctx.io.stderr.write(installNotes());
        return;
      }
      try {
        await writeFile(flags.out, text, { mode: token === null ? 0o644 : 0o600 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new TracekitError('OUTPUT_UNWRITABLE', `--out expects a file path tracekit can write, cannot write ${flags.out} (${code})`);
      }
      ctx.io.stdout.write(`wrote ${flags.out}\n${installNotes()}`);
    });
}
