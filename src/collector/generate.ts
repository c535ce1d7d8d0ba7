import { constants } from 'node:fs';
import { access, chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedHeader, generatedLine } from '../generated-header.js';
import { TracekitError } from '../errors.js';
import { buildFirewalldScript, buildNftables } from './firewall.js';
import { buildDashboardProvider, buildDashboards, buildDatasources, DASHBOARDS_INSTALL_DIR } from './grafana.js';
import { buildOtelcolConfig } from './otelcol-config.js';
import { validateOtelcolConfig } from './otelcol-schema.js';
import type { SeamOptions } from './options.js';
import { buildAlertRules, buildRecordingRules, buildScrapeConfig, buildSidecarTargets, RULE_FILES, SIDECAR_TARGETS_FILE } from './prometheus.js';
import { buildOtelcolUnit, buildTempoUnit, TEMPO_UNIT } from './systemd.js';
import { buildTempoConfig } from './tempo.js';
import { yamlFile } from './yaml-file.js';

export interface GeneratedFile {
  /** Path relative to --out, with forward slashes. */
  readonly path: string;
  readonly content: string;
  readonly mode?: number;
}

/** Every file of the seam, in a fixed order; same options → same bytes. */
export function generateSeam(o: SeamOptions): GeneratedFile[] {
  const c = o.command;
  const otelcol = buildOtelcolConfig(o);
  const problems = validateOtelcolConfig(otelcol);
  // A generator bug, not bad input: the seam must always pass its own schema.
  if (problems.length > 0) throw new Error(`generated collector config fails its schema: ${problems.join('; ')}`);

  const files: GeneratedFile[] = [
    { path: 'otelcol/config.yaml', content: yamlFile(otelcol, c) },
    { path: 'prometheus/tracekit-scrape.yml', content: yamlFile(buildScrapeConfig(o), c) },
    { path: `prometheus/${SIDECAR_TARGETS_FILE}`, content: yamlFile(buildSidecarTargets(), c) },
    { path: `prometheus/rules/${RULE_FILES.recording}`, content: yamlFile(buildRecordingRules(), c) },
    { path: `prometheus/rules/${RULE_FILES.alerts}`, content: yamlFile(buildAlertRules(), c) },
    { path: 'firewall/firewalld.sh', content: buildFirewalldScript(o), mode: 0o755 },
    { path: 'firewall/tracekit-otlp.nft', content: buildNftables(o) },
    { path: 'systemd/tracekit-otelcol.service', content: buildOtelcolUnit(o) },
  ];
  if (o.localTempo) {
    files.push({ path: 'tempo/tempo.yaml', content: yamlFile(buildTempoConfig(), c) });
    files.push({ path: `systemd/${TEMPO_UNIT}`, content: buildTempoUnit(o) });
  }
  if (o.grafana) {
    files.push({ path: 'grafana/provisioning/datasources/tracekit.yaml', content: yamlFile(buildDatasources(o), c) });
    files.push({ path: 'grafana/provisioning/dashboards/tracekit.yaml', content: yamlFile(buildDashboardProvider(), c) });
    for (const d of buildDashboards(c)) files.push({ path: `grafana/dashboards/${d.file}`, content: `${JSON.stringify(d.json, null, 2)}\n` });
  }
  files.push({ path: 'README.md', content: readme(o, files.map((f) => f.path)) });
  return files;
}

function readme(o: SeamOptions, paths: readonly string[]): string {
  const d = o.configDir;
  const lines = [
    generatedHeader(o.command, 'markdown').trimEnd(),
    '',
    '# tracekit collector seam',
    '',
    `${generatedLine(o.command)}.`,
    'JSON files (the Grafana dashboards) carry the same stamp in their `_generated` key.',
    '',
    '## Files and where they go on the monitoring host',
    '',
    '| file | install as |',
    '|---|---|',
  ];
  const target = (p: string): string => {
    if (p.startsWith('grafana/dashboards/')) return `${DASHBOARDS_INSTALL_DIR}/${path.posix.basename(p)}`;
    if (p.startsWith('grafana/provisioning/')) return `/etc/grafana/${p.slice('grafana/'.length)}`;
    if (p.startsWith('systemd/')) return `/etc/systemd/system/${path.posix.basename(p)}`;
    if (p.startsWith('firewall/')) return 'run once (see below)';
    if (p === 'README.md') return '-';
    return `${d}/${p}`;
  };
  for (const p of paths) lines.push(`| \`${p}\` | \`${target(p)}\` |`);
  lines.push(
    '',
    '## Prometheus',
    '',
    `Add to prometheus.yml: \`scrape_config_files: [${d}/prometheus/tracekit-scrape.yml]\` (Prometheus 2.43+; older: paste its \`scrape_configs\` list) and \`rule_files: [${d}/prometheus/rules/*.yml]\`.`,
    `List each PHP host's sidecar (HOST:PORT of its /metrics) in \`${d}/prometheus/${SIDECAR_TARGETS_FILE}\`.`,
    'Start Prometheus with `--enable-feature=exemplar-storage` to get trace links on latency panels.',
    '',
    '## Firewall',
    '',
    '`sh firewall/firewalld.sh [ZONE]` on firewalld hosts, or `nft -f firewall/tracekit-otlp.nft`.',
    '',
  );
  if (o.tokenFile !== null) lines.push('## Token', '', `The collector reads the bearer token from \`${o.tokenFile}\` through systemd's LoadCredential; agents send it as \`Authorization: Bearer …\`.`, '');
  return `${lines.join('\n')}\n`;
}

async function ensureReadable(file: string, flag: string): Promise<void> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new TracekitError('INPUT_UNREADABLE', `${flag} expects a file, found a directory at ${file}`);
    await access(file, constants.R_OK);
  } catch (error) {
    if (error instanceof TracekitError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TracekitError('INPUT_NOT_FOUND', `${flag} expects a readable file, found nothing at ${file}`);
    throw new TracekitError('INPUT_UNREADABLE', `${flag} expects a readable file, cannot read ${file} (${code ?? 'error'})`);
  }
}

export async function checkInputs(o: SeamOptions): Promise<void> {
  if (o.tokenFile !== null) await ensureReadable(o.tokenFile, '--token-file');
}

/** Writes the files under `outDir`, creating directories. */
export async function writeSeam(outDir: string, files: readonly GeneratedFile[]): Promise<void> {
  for (const f of files) {
    const target = path.join(outDir, ...f.path.split('/'));
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, f.content);
      if (f.mode !== undefined) await chmod(target, f.mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new TracekitError('OUTPUT_UNWRITABLE', `--out expects a directory tracekit can write, cannot write ${target} (${code})`, { cause: error });
    }
  }
}
