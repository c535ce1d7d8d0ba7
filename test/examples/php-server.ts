import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/**
 * PHP's built-in web server (`php -S`) on a free loopback port, serving a
 * document root with the given environment. Everything it logs (requests and
 * PHP errors) is kept in `log()`.
 */
export interface PhpServer {
  readonly baseUrl: string;
  readonly port: number;
  log(): string;
  stop(): Promise<void>;
}

export interface StartPhpServerOptions {
  php: string;
  docroot: string;
  env?: Readonly<Record<string, string>>;
  /** Extra `-d name=value` settings. */
  ini?: Readonly<Record<string, string>>;
  readyTimeoutMillis?: number;
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free loopback port');
  return address.port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPhpServer(options: StartPhpServerOptions): Promise<PhpServer> {
  const port = await freeLoopbackPort();
  const ini: Record<string, string> = {
    error_reporting: '-1',
    display_errors: '1',
    display_startup_errors: '1',
    log_errors: '1',
    'opcache.enable_cli': '0',
    ...options.ini,
  };
  const args = [...Object.entries(ini).flatMap(([k, v]) => ['-d', `${k}=${v}`]), '-S', `127.0.0.1:${port}`, '-t', options.docroot];
  const child: ChildProcess = spawn(options.php, args, {
    cwd: options.docroot,
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.once('exit', () => {
    exited = true;
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    await gone;
  };

  const deadline = Date.now() + (options.readyTimeoutMillis ?? 15_000);
  for (;;) {
    if (exited) throw new Error(`php -S exited during start-up: ${output.trim()}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`php -S did not accept connections on 127.0.0.1:${port} in time: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return { baseUrl: `http://127.0.0.1:${port}`, port, log: () => output, stop };
}
