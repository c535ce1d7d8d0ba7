import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedHeader } from '../generated-header.js';
import { TracekitError } from '../errors.js';

/** One file of a wiring plan; path relative to --out, forward slashes. */
export interface WireFile {
  readonly path: string;
  readonly content: string;
  /** Shown before the file when the plan is printed instead of written. */
  readonly title: string;
  readonly mode?: number;
}

export interface WirePlan {
  readonly files: readonly WireFile[];
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

/**
 * An OTLP/HTTP receiver's base URL: the collector's private address or a
 * sidecar on loopback. No path: the SDKs add /v1/traces themselves.
 */
export function parseOtlpEndpoint(raw: string): string {
  const expected = 'expected --endpoint http(s)://HOST:PORT of an OTLP/HTTP receiver (the collector, e.g. http://10.0.0.5:4318, or a sidecar on http://127.0.0.1:4318), no path';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TracekitError('WIRE_BAD_ENDPOINT', `${expected}, found '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TracekitError('WIRE_BAD_ENDPOINT', `${expected}, found scheme '${url.protocol}' in '${raw}'`);
  if (url.port === '') throw new TracekitError('WIRE_BAD_ENDPOINT', `${expected}, found no port in '${raw}'`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TracekitError('WIRE_BAD_ENDPOINT', `${expected}, found a path, query or credentials in '${raw}'`);
  }
  if (url.port === '4317') throw new TracekitError('WIRE_BAD_ENDPOINT', `${expected}, found port 4317, which is OTLP/gRPC in '${raw}'`);
  return `${url.protocol}//${url.host}`;
}

/** Normalises --systemd: a service unit name, `.service` added when missing. */
export function parseUnitName(raw: string): string {
  const name = raw.endsWith('.service') ? raw : `${raw}.service`;
  if (!/^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$/.test(name) || name.length > 255 || name === '.service') {
    throw new TracekitError('WIRE_BAD_UNIT', `expected --systemd to name a service unit such as shop-api or shop-api.service, found '${raw}'`);
  }
  return name;
}

/** A value systemd's Environment= carries inside double quotes; `%` starts a specifier there. */
export function systemdEnvLine(key: string, value: string): string {
  if (/["\\\r\n]/.test(value)) throw new Error(`environment value for ${key} holds a quote, backslash or newline`);
  return `Environment="${key}=${value.replace(/%/g, '%%')}"`;
}

/** KEY=value lines for an EnvironmentFile / .env / `set -a; . file` (values are shell-safe words). */
export function envFile(env: readonly (readonly [string, string])[], command: string): string {
  const lines = [generatedHeader(command, 'hash').trimEnd()];
  for (const [k, v] of env) lines.push(`${k}=${shellWord(v)}`);
  return `${lines.join('\n')}\n`;
}

export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The drop-in for an existing unit: environment, and optionally a new ExecStart. */
export function systemdDropIn(env: readonly (readonly [string, string])[], command: string, execStart: readonly string[] | null): string {
  const lines = [generatedHeader(command, 'hash').trimEnd(), '[Service]'];
  for (const [k, v] of env) lines.push(systemdEnvLine(k, v));
  if (execStart !== null) {
    // An empty ExecStart= first clears the unit's own; a service may have only one.
    lines.push('ExecStart=', `ExecStart=${execStart.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The text printed when no --out is given: every file under a title. */
export function renderPlan(plan: WirePlan): string {
  return plan.files.map((f) => `### ${f.title} (${f.path})\n${f.content}`).join('\n');
}

/** Writes the plan's files under `outDir`, creating directories. */
export async function writePlan(outDir: string, plan: WirePlan): Promise<string[]> {
  const written: string[] = [];
  for (const f of plan.files) {
    const target = path.join(outDir, ...f.path.split('/'));
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, f.content);
      if (f.mode !== undefined) await chmod(target, f.mode);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new TracekitError('OUTPUT_UNWRITABLE', `expected --out to be a directory tracekit can write, cannot write ${target} (${code})`, { cause });
    }
    written.push(target);
  }
  return written;
}
