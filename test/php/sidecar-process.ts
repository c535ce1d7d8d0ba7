import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './php-cli.js';
import { pollUntil } from '../helpers/poll.js';

/** The real sidecar (`node bin/tracekit.js sidecar`), forwarding to a file: upstream. */
export interface SidecarProcess {
  readonly socket: string;
  readonly tcp: string;
  readonly spansFile: string;
  /** Every span forwarded so far, with its resource attributes. */
  spans(): Promise<ForwardedSpan[]>;
  stop(): Promise<void>;
}

export interface ForwardedSpan {
  resource: Record<string, unknown>;
  span: Record<string, any> & { attributes: Record<string, unknown> };
}

export function flattenAttributes(list: Array<{ key: string; value: Record<string, unknown> }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const [kind, v] = Object.entries(value)[0] ?? [];
    out[key] = kind === 'intValue' ? Number(v) : v;
  }
  return out;
}

export async function startSidecarProcess(dir: string): Promise<SidecarProcess> {
  const socket = path.join(dir, 'otlp.sock');
  const spansFile = path.join(dir, 'spans.jsonl');
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin', 'tracekit.js'), 'sidecar', '--listen', '127.0.0.1:0', '--socket', socket, '--upstream', `file:${spansFile}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test worker that ends without calling stop() (a failed beforeAll) must not leave the sidecar running.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  let output = '';
  const tcp = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sidecar did not log "listening" in time:\n${output}`)), 20_000);
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
      for (const line of output.split('\n')) {
        if (!line.includes('"msg":"listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { tcp: string }).tcp);
      }
    });
    child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sidecar exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    socket,
    tcp,
    spansFile,
    async spans() {
      const text = await readFile(spansFile, 'utf8').catch(() => '');
      const out: ForwardedSpan[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const entry = JSON.parse(line) as { signal: string; request: any };
        if (entry.signal !== 'traces') continue;
        for (const rs of entry.request.resourceSpans ?? []) {
          const resource = flattenAttributes(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) out.push({ resource, span: { ...span, attributes: flattenAttributes(span.attributes) } });
        }
      }
      return out;
    },
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls with a deadline (readiness, not synchronisation by sleeping). */
export function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMillis = 15_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMillis, intervalMillis: 50 });
}
