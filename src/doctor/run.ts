import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { parse as parseYaml } from 'yaml';
import { TracekitError } from '../errors.js';
import { checkCollectorConfig } from './check-collector.js';
import { checkDashboard } from './check-dashboards.js';
import { checkFpmPool } from './check-fpm-pool.js';
import { checkManagedSettings } from './check-managed-settings.js';
import { checkPrometheusConfig, checkRulesFile, ruleFilesOf } from './check-prometheus.js';
import { sortFindings, type Finding } from './findings.js';

export interface DoctorInputs {
  collector?: string;
  prometheus?: string;
  dashboards?: string;
  managedSettings?: string;
  fpmPool?: string;
}

/** Where doctor looks when given no file at all (the usual install locations). */
export const DEFAULT_LOCATIONS: Required<DoctorInputs> = {
  collector: '/etc/otelcol-contrib/config.yaml',
  prometheus: '/etc/prometheus/prometheus.yml',
  dashboards: '/var/lib/grafana/dashboards',
  managedSettings: '/etc/claude-code/managed-settings.json',
  fpmPool: '/etc/php/8.2/fpm/pool.d/www.conf',
};

const FLAG: Record<keyof DoctorInputs, string> = {
  collector: '--collector',
  prometheus: '--prometheus',
  dashboards: '--dashboards',
  managedSettings: '--managed-settings',
  fpmPool: '--fpm-pool',
};

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TracekitError('INPUT_NOT_FOUND', `${flag} expects an existing file, found nothing at ${file}`);
    if (code === 'EISDIR') throw new TracekitError('INPUT_UNREADABLE', `${flag} expects a file, found a directory at ${file}`);
    throw new TracekitError('INPUT_UNREADABLE', `${flag} expects a readable file, cannot read ${file} (${code ?? 'error'})`);
  }
}

function parseYamlText(text: string, file: string, flag: string): unknown {
  try {
    return parseYaml(text, { uniqueKeys: false });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new TracekitError('DOCTOR_UNPARSEABLE', `${flag} expects YAML, found invalid YAML in ${file}: ${reason}`);
  }
}

export function parseJsonText(text: string, file: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TracekitError('DOCTOR_UNPARSEABLE', `${flag} expects JSON, found invalid JSON in ${file}: ${reason}`);
  }
}

async function checkPrometheus(file: string): Promise<Finding[]> {
  const doc = parseYamlText(await readText(file, FLAG.prometheus), file, FLAG.prometheus);
  if (typeof doc === 'object' && doc !== null && 'groups' in doc) return checkRulesFile(doc, file);
  const out = checkPrometheusConfig(doc, file);
  const base = path.dirname(file);
  for (const pattern of ruleFilesOf(doc)) {
    const abs = path.isAbsolute(pattern) ? pattern : path.join(base, pattern);
    for (const ruleFile of (await fg(abs.split(path.sep).join('/'), { onlyFiles: true })).sort()) {
      out.push(...checkRulesFile(parseYamlText(await readText(ruleFile, FLAG.prometheus), ruleFile, FLAG.prometheus), ruleFile));
    }
  }
  return out;
}

async function checkDashboardsDir(dir: string): Promise<Finding[]> {
  let s;
  try {
    s = await stat(dir);
  } catch {
    throw new TracekitError('INPUT_NOT_FOUND', `--dashboards expects a directory of Grafana dashboard JSON, found nothing at ${dir}`);
  }
  const files = s.isDirectory() ? (await fg('**/*.json', { cwd: dir, absolute: true, onlyFiles: true })).sort() : [dir];
  const out: Finding[] = [];
  for (const f of files) out.push(...checkDashboard(parseJsonText(await readText(f, FLAG.dashboards), f, FLAG.dashboards), f));
  return out;
}

/** Runs every check the inputs allow; with no input, uses the default locations that exist. */
export async function runDoctor(given: DoctorInputs): Promise<{ findings: Finding[]; checked: string[] }> {
  let inputs: DoctorInputs = given;
  if (Object.values(given).every((v) => v === undefined)) {
    inputs = Object.fromEntries(Object.entries(DEFAULT_LOCATIONS).filter(([, p]) => existsSync(p))) as DoctorInputs;
    if (Object.keys(inputs).length === 0) {
      throw new TracekitError(
        'DOCTOR_NOTHING_TO_CHECK',
        `doctor expects at least one of --collector, --prometheus, --dashboards, --managed-settings, --fpm-pool, found none given and none at the default locations (${Object.values(DEFAULT_LOCATIONS).join(', ')})`,
      );
    }
  }
  const findings: Finding[] = [];
  const checked: string[] = [];
  if (inputs.collector !== undefined) {
    const f = inputs.collector;
    findings.push(...checkCollectorConfig(parseYamlText(await readText(f, FLAG.collector), f, FLAG.collector), f));
    checked.push(f);
  }
  if (inputs.prometheus !== undefined) {
    findings.push(...(await checkPrometheus(inputs.prometheus)));
    checked.push(inputs.prometheus);
  }
  if (inputs.dashboards !== undefined) {
    findings.push(...(await checkDashboardsDir(inputs.dashboards)));
    checked.push(inputs.dashboards);
  }
  if (inputs.managedSettings !== undefined) {
    const f = inputs.managedSettings;
    findings.push(...checkManagedSettings(parseJsonText(await readText(f, FLAG.managedSettings), f, FLAG.managedSettings), f));
    checked.push(f);
  }
  if (inputs.fpmPool !== undefined) {
    const f = inputs.fpmPool;
    findings.push(...checkFpmPool(await readText(f, FLAG.fpmPool), f));
    checked.push(f);
  }
  return { findings: sortFindings(findings), checked };
}

