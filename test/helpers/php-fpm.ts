import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from './require-tool.js';

/**
 * A real php-fpm master with its own config, pid file and listening socket in
 * a temp dir, run in the foreground (-F) so the test owns the process. Ready
 * when php-fpm logs "ready to handle connections".
 */
export interface PhpFpm {
  /** The FastCGI unix socket nginx passes requests to. */
  readonly socket: string;
  readonly dir: string;
  readonly pid: number;
  /** php-fpm's own log and the PHP error log of its workers, so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface StartPhpFpmOptions {
  /** auto_prepend_file (php_admin_value), or none. */
  prepend?: string | null;
  /** env[] entries of the pool; clear_env stays on, as in production. */
  env?: Readonly<Record<string, string>>;
  /** php_admin_value[] entries. */
  ini?: Readonly<Record<string, string>>;
  /** Static worker count. */
  workers?: number;
  /** Run the workers as this user and group (only possible when the tests run as root; default root then). */
  runAs?: { user: string; group: string };
  readyTimeoutMillis?: number;
}

const FPM_PATHS = ['/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm'];

/** The php-fpm binary, null when it is missing outside CI (the caller skips); throws under CI. */
export function findPhpFpm(): string | null {
  return requireTool('php-fpm8.2', FPM_PATHS);
}

function iniValue(value: string): string {
  return `"${value.replace(/"/g, '')}"`;
}

export async function startPhpFpm(options: StartPhpFpmOptions = {}): Promise<PhpFpm> {
  const bin = findPhpFpm();
  if (bin === null) throw new Error('php-fpm is not installed');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tk-fpm-'));
  // nginx workers may run as another user: they must reach the socket.
  await chmod(dir, 0o755);
  const socket = path.join(dir, 'php-fpm.sock');
  const lines = [
    '[global]',
    `pid = ${path.join(dir, 'php-fpm.pid')}`,
    // A file, not /proc/self/fd/2: Node's stdio pipes are sockets, which php-fpm cannot open by path.
    `error_log = ${path.join(dir, 'php-fpm.log')}`,
    'log_level = notice',
    'daemonize = no',
    '',
    '[www]',
    `listen = ${socket}`,
    'listen.mode = 0666',
    'pm = static',
    `pm.max_children = ${options.workers ?? 2}`,
    'clear_env = yes',
    'catch_workers_output = yes',
    'decorate_workers_output = no',
    `php_admin_value[error_log] = ${path.join(dir, 'php-errors.log')}`,
    'php_admin_flag[log_errors] = on',
  ];
  if (process.getuid?.() === 0) lines.push(`user = ${options.runAs?.user ?? 'root'}`, `group = ${options.runAs?.group ?? 'root'}`);
  if (options.prepend) lines.push(`php_admin_value[auto_prepend_file] = ${iniValue(options.prepend)}`);
  for (const [k, v] of Object.entries(options.ini ?? {})) lines.push(`php_admin_value[${k}] = ${iniValue(v)}`);
  for (const [k, v] of Object.entries(options.env ?? {})) lines.push(`env[${k}] = ${iniValue(v)}`);
  const conf = path.join(dir, 'php-fpm.conf');
  await writeFile(conf, lines.join('\n') + '\n');
  // Workers running as another user still append to the PHP error log.
  await writeFile(path.join(dir, 'php-errors.log'), '', { mode: 0o666 });
  await chmod(path.join(dir, 'php-errors.log'), 0o666);

  // The distribution's php.ini and conf.d stay in effect (opcache on, output_buffering as shipped).
  const args = ['-F', '-y', conf];
  if (process.getuid?.() === 0) args.push('-R');
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const readLog = (): string => {
    let text = output;
    for (const f of ['php-fpm.log', 'php-errors.log']) {
      try {
        text += readFileSync(path.join(dir, f), 'utf8');
      } catch {
        // not written yet
      }
    }
    return text;
  };
  // Readiness: poll php-fpm's log for its "ready" notice, with a deadline.
  const deadline = Date.now() + (options.readyTimeoutMillis ?? 20_000);
  for (;;) {
    if (readLog().includes('ready to handle connections')) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const log = readLog();
      await stop();
      throw new Error(`php-fpm did not get ready (${child.exitCode ?? child.signalCode ?? 'timeout'}):\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { socket, dir, pid: child.pid ?? -1, log: readLog, stop };
}
