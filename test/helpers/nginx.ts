import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from './require-tool.js';

/**
 * A real nginx in the foreground (-p TMP -c conf -g 'daemon off;') serving a
 * document root through php-fpm on loopback. nginx cannot listen on port 0,
 * so a free port is found by binding a Node server to 0 and closing it; if
 * another process takes it in between, nginx exits with EADDRINUSE and we
 * retry with a new port.
 */
export interface Nginx {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  log(): string;
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  root: string;
  /** php-fpm's FastCGI unix socket. */
  fastcgiSocket: string;
  readyTimeoutMillis?: number;
}

const NGINX_PATHS = ['/usr/sbin/nginx'];

export function findNginx(): string | null {
  return requireTool('nginx', NGINX_PATHS);
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(dir: string, port: number, options: StartNginxOptions): string {
  const tmp = (name: string) => path.join(dir, 'tmp', name);
  return `${process.getuid?.() === 0 ? 'user root root;\n' : ''}worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  fastcgi_temp_path ${tmp('fastcgi')};
  proxy_temp_path ${tmp('proxy')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  default_type application/octet-stream;
  server_tokens off;
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    root ${options.root};
    index index.php;
    location ~ [^/]\\.php(/|$) {
      fastcgi_split_path_info ^(.+?\\.php)(/.*)$;
      try_files $fastcgi_script_name =404;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_param PATH_INFO $fastcgi_path_info;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param DOCUMENT_URI $document_uri;
      fastcgi_param DOCUMENT_ROOT $document_root;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param REQUEST_SCHEME $scheme;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
      fastcgi_param SERVER_ADDR $server_addr;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_NAME $server_name;
      fastcgi_param REDIRECT_STATUS 200;
      fastcgi_pass unix:${options.fastcgiSocket};
    }
  }
}
`;
}

async function startOnce(bin: string, options: StartNginxOptions): Promise<Nginx | 'port-taken'> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tk-nginx-'));
  await chmod(dir, 0o755);
  for (const t of ['body', 'fastcgi', 'proxy', 'uwsgi', 'scgi']) await mkdir(path.join(dir, 'tmp', t), { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, options));
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  let exited = false;
  child.once('exit', () => (exited = true));

  const stop = async (): Promise<void> => {
    if (!exited) {
      const done = once(child, 'exit');
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Readiness: poll until a TCP connect succeeds, with a deadline.
  const deadline = Date.now() + (options.readyTimeoutMillis ?? 20_000);
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      if (output.includes('Address already in use')) return 'port-taken';
      throw new Error(`nginx exited before it was ready:\n${output}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok && !exited) return { port, url: `http://127.0.0.1:${port}`, dir, log: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stop();
  throw new Error(`nginx did not accept connections on 127.0.0.1:${port} in time:\n${output}`);
}

export async function startNginx(options: StartNginxOptions): Promise<Nginx> {
  const bin = findNginx();
  if (bin === null) throw new Error('nginx is not installed');
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await startOnce(bin, options);
    if (started !== 'port-taken') return started;
  }
  throw new Error('nginx could not bind a free loopback port after 5 attempts');
}
