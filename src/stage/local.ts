import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { JOBS } from '../collector/queries.js';
import { buildAlertRules, buildRecordingRules, RULE_FILES } from '../collector/prometheus.js';
import { yamlFile } from '../collector/yaml-file.js';
import { TracekitError } from '../errors.js';
import { DEFAULT_HOOKS_FILE } from '../hooks/generate.js';
import { writePhpHooks } from '../php/hooks.js';
import { planPhpInit, writePhpInit } from '../php/init.js';
import { applyRewrite, planRewrite } from '../php/rewrite.js';
import { Daemon, waitUntil } from './daemon.js';
import { NGINX_HEALTH_PATH, nginxServerBlock } from './nginx-config.js';
import { packageRoot } from './package-root.js';
import { DATABASE } from './topology.js';

/** What `stage --local` runs, and where. */
export interface LocalStackOptions {
  readonly appDir: string;
  readonly sqlFiles: readonly string[];
  readonly serviceName: string;
  /** Working directory; a new temp dir (removed on stop) when null. */
  readonly dir: string | null;
  /** nginx's loopback port; a free one when null. */
  readonly port: number | null;
  /** Progress lines for the user. */
  readonly say: (line: string) => void;
  readonly readyTimeoutMillis?: number;
}

export interface LocalStack {
  readonly dir: string;
  readonly appUrl: string;
  readonly tracesFile: string;
  readonly prometheusUrl: string;
  readonly sidecarUrl: string;
  readonly sidecarSocket: string;
  readonly mariadbSocket: string;
  readonly pids: Readonly<Record<string, number>>;
  /** Resolves when one of the daemons exits on its own (the stack is broken then). */
  readonly unexpectedExit: Promise<string>;
  stop(): Promise<void>;
}

export const STATE_FILE = 'stage-local.json';

interface Tools {
  nginx: string;
  phpFpm: string;
  mariadbd: string;
  installDb: string;
  admin: string;
  client: string;
  prometheus: string;
}

function firstExisting(name: string, candidates: readonly string[]): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new TracekitError('STAGE_TOOL_MISSING', `stage --local expected ${name} at ${candidates.join(' or ')}, found none (install the Debian package)`);
}

/** php-fpm from Debian's versioned packages (php-fpm8.2, …), the newest first. */
function findPhpFpm(): string {
  let versioned: string[] = [];
  try {
    versioned = readdirSync('/usr/sbin')
      .filter((f) => /^php-fpm\d+\.\d+$/.test(f))
      .map((f) => ({ f, v: f.slice('php-fpm'.length).split('.').map(Number) as [number, number] }))
      .sort((a, b) => b.v[0] - a.v[0] || b.v[1] - a.v[1])
      .map(({ f }) => f)
      .map((f) => `/usr/sbin/${f}`);
  } catch {
    versioned = [];
  }
  return firstExisting('php-fpm (package php-fpm)', [...versioned, '/usr/sbin/php-fpm']);
}

export function findLocalTools(): Tools {
  return {
    nginx: firstExisting('nginx (package nginx)', ['/usr/sbin/nginx']),
    phpFpm: findPhpFpm(),
    mariadbd: firstExisting('mariadbd (package mariadb-server)', ['/usr/sbin/mariadbd', '/usr/sbin/mysqld']),
    installDb: firstExisting('mariadb-install-db (package mariadb-server)', ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db']),
    admin: firstExisting('mariadb-admin (package mariadb-client)', ['/usr/bin/mariadb-admin', '/usr/bin/mysqladmin']),
    client: firstExisting('mariadb (package mariadb-client)', ['/usr/bin/mariadb', '/usr/bin/mysql']),
    prometheus: firstExisting('prometheus (package prometheus)', ['/usr/bin/prometheus']),
  };
}

function runTool(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Starts MariaDB, the sidecar, php-fpm, nginx and Prometheus on loopback and
 * unix sockets under one directory. On any failure, everything already
 * started is stopped before the error is thrown.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const tools = findLocalTools();
  const readyMillis = o.readyTimeoutMillis ?? 60_000;
  const ownDir = o.dir === null;
  let dir: string;
  if (o.dir === null) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tk-stage-'));
  } else {
    dir = path.resolve(o.dir);
    await mkdir(dir, { recursive: true });
    if ((await readdir(dir)).length > 0) throw new TracekitError('USAGE', `expected --dir ${o.dir} to be empty or absent (stage --local creates a fresh database there), found files in it`);
  }
  // nginx and php-fpm workers may run as another user: they need to reach the sockets.
  await chmod(dir, 0o755);
  const p = (...parts: string[]): string => path.join(dir, ...parts);
  const sidecarSocket = p('otlp.sock');
  const mariadbSocket = p('mariadb', 'mariadb.sock');
  const fpmSocket = p('php-fpm', 'php-fpm.sock');
  for (const s of [sidecarSocket, mariadbSocket, fpmSocket]) {
    if (Buffer.byteLength(s) > 107) throw new TracekitError('USAGE', `expected --dir short enough for unix socket paths (at most 107 bytes), found ${s} (${Buffer.byteLength(s)} bytes)`);
  }
  const tracesFile = p('traces.jsonl');
  const daemons: Daemon[] = [];
  const pids: Record<string, number> = {};
  const saveState = async (extra: Record<string, unknown> = {}): Promise<void> => {
    await writeFile(p(STATE_FILE), `${JSON.stringify({ dir, pids, tracesFile, ...extra }, null, 2)}\n`);
  };
  const killAll = (): void => {
    for (const d of daemons) d.killNow();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Reverse order: nginx before php-fpm, php-fpm before the sidecar (its last spans drain), MariaDB last.
      for (const d of [...daemons].reverse()) {
        try {
          await d.stop();
        } catch {
          d.killNow();
        }
      }
      process.removeListener('exit', killAll);
      if (ownDir) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const started = (d: Daemon): Daemon => {
    daemons.push(d);
    pids[d.name] = d.pid;
    return d;
  };

  try {
    // -- MariaDB: own data directory, unix socket only ---------------------
    await mkdir(p('mariadb'), { recursive: true });
    const osUser = os.userInfo().username;
    o.say(`mariadb: initialising ${p('mariadb', 'data')}`);
    await runTool(tools.installDb, ['--no-defaults', `--datadir=${p('mariadb', 'data')}`, `--tmpdir=${p('mariadb')}`, `--user=${osUser}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve']);
    const mariadb = started(
      new Daemon(
        'mariadb',
        tools.mariadbd,
        [
          '--no-defaults',
          `--datadir=${p('mariadb', 'data')}`,
          `--socket=${mariadbSocket}`,
          '--skip-networking',
          `--pid-file=${p('mariadb', 'mariadb.pid')}`,
          `--log-error=${p('mariadb', 'error.log')}`,
          `--tmpdir=${p('mariadb')}`,
          `--user=${osUser}`,
          '--skip-name-resolve',
          '--innodb-buffer-pool-size=32M',
          '--performance-schema=OFF',
        ],
        { logFiles: [p('mariadb', 'error.log')] },
      ),
    );
    await saveState();
    const rootArgs = ['--no-defaults', `--socket=${mariadbSocket}`, '--user=root'];
    await waitUntil(mariadb, 'answering a ping', () => runTool(tools.admin, [...rootArgs, '--connect-timeout=2', 'ping']).then(() => true, () => false), readyMillis);
    const db = `\`${DATABASE.name}\``;
    await runTool(tools.client, [...rootArgs, '--batch', '-e', [
      `CREATE DATABASE ${db} CHARACTER SET utf8mb4`,
      `CREATE USER ${sqlString(DATABASE.user)}@'localhost' IDENTIFIED BY ${sqlString(DATABASE.password)}`,
      `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(DATABASE.user)}@'localhost'`,
    ].join(';\n')]);
    for (const file of o.sqlFiles) {
      o.say(`mariadb: loading ${file}`);
      await runTool(tools.client, [...rootArgs, '--batch', `--database=${DATABASE.name}`], await readFile(file, 'utf8'));
    }

    // -- the sidecar, forwarding to a file -------------------------------
    const sidecar = started(
      new Daemon('sidecar', process.execPath, [
        path.join(packageRoot(), 'bin', 'tracekit.js'),
        'sidecar',
        '--listen', '127.0.0.1:0',
        '--socket', sidecarSocket,
        // php-fpm's workers may run as another user in this group-less setup.
        '--socket-mode', '0666',
        '--upstream', `file:${tracesFile}`,
      ]),
    );
    await saveState();
    let sidecarTcp = '';
    await waitUntil(
      sidecar,
      'logging "listening"',
      () => {
        const line = sidecar.log(200).split('\n').find((l) => l.includes('"msg":"listening"'));
        if (line === undefined) return false;
        sidecarTcp = (JSON.parse(line) as { tcp: string }).tcp;
        return true;
      },
      readyMillis,
    );

    // -- the PHP bootstrap, the mysqli/PDO hooks, and php-fpm -------------
    const phpDir = p('php');
    await writePhpInit(planPhpInit({ outDir: phpDir, cwd: dir, serviceName: o.serviceName, endpoint: `unix://${sidecarSocket}` }));
    // The app is served from a copy: without the opentelemetry extension the
    // hooks' wrappers only see rewritten call sites, and the original is never touched.
    const appRoot = p('app');
    await cp(o.appDir, appRoot, { recursive: true });
    await writePhpHooks({ dir: appRoot, mode: 'auto', out: path.join(phpDir, DEFAULT_HOOKS_FILE), rawSql: false, cwd: dir });
    const rewrite = await planRewrite({ dir: appRoot, cwd: dir, all: false, revert: false });
    await applyRewrite(rewrite);
    o.say(`php: bootstrap and hooks in ${phpDir}; rewrote ${rewrite.files.reduce((n, f) => n + f.edits.length, 0)} mysqli/PDO names in ${rewrite.files.length} files of the app's copy ${appRoot}`);
    await mkdir(p('php-fpm', 'pool.d'), { recursive: true });
    await chmod(p('php-fpm'), 0o755);
    const poolLines = [
      '[www]',
      `listen = ${fpmSocket}`,
      'listen.mode = 0666',
      'pm = static',
      'pm.max_children = 2',
      'clear_env = yes',
      'catch_workers_output = yes',
      `php_admin_value[error_log] = ${p('php-fpm', 'php-errors.log')}`,
      'php_admin_flag[log_errors] = on',
      ...(isRoot() ? ['user = root', 'group = root'] : []),
      `env[LEGACY_DB_SOCKET] = "${mariadbSocket}"`,
      'env[LEGACY_DB_HOST] = "localhost"',
      `env[LEGACY_DB_USER] = "${DATABASE.user}"`,
      `env[LEGACY_DB_PASSWORD] = "${DATABASE.password}"`,
      `env[LEGACY_DB_NAME] = "${DATABASE.name}"`,
      'env[OTEL_RESOURCE_ATTRIBUTES] = "deployment.environment.name=local"',
    ];
    await writeFile(p('php-fpm', 'pool.d', 'www.conf'), `${poolLines.join('\n')}\n`);
    // The snippet `php init` wrote, installed as its README says: after the pool's own file.
    await writeFile(p('php-fpm', 'pool.d', 'zz-tracekit.conf'), await readFile(path.join(phpDir, 'tracekit-fpm-pool.conf'), 'utf8'));
    const fpmConf = p('php-fpm', 'php-fpm.conf');
    await writeFile(
      fpmConf,
      ['[global]', `pid = ${p('php-fpm', 'php-fpm.pid')}`, `error_log = ${p('php-fpm', 'php-fpm.log')}`, 'log_level = notice', 'daemonize = no', `include = ${p('php-fpm', 'pool.d')}/*.conf`, ''].join('\n'),
    );
    const fpm = started(
      new Daemon('php-fpm', tools.phpFpm, ['-F', '-y', fpmConf, ...(isRoot() ? ['-R'] : [])], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        logFiles: [p('php-fpm', 'php-fpm.log')],
        stopSignal: 'SIGQUIT',
      }),
    );
    await saveState();
    await waitUntil(fpm, 'logging "ready to handle connections"', () => fpm.log(200).includes('ready to handle connections'), readyMillis);

    // -- nginx on a loopback port ---------------------------------------
    await mkdir(p('nginx', 'tmp'), { recursive: true });
    let appPort = 0;
    let nginx: Daemon | null = null;
    for (let attempt = 0; attempt < (o.port === null ? 5 : 1) && nginx === null; attempt++) {
      appPort = o.port ?? (await freePort());
      const conf = p('nginx', 'nginx.conf');
      const t = p('nginx', 'tmp');
      await writeFile(
        conf,
        [
          ...(isRoot() ? ['user root root;'] : []),
          'worker_processes 1;',
          `pid ${p('nginx', 'nginx.pid')};`,
          'error_log stderr warn;',
          'events { worker_connections 256; }',
          'http {',
          `    access_log ${p('nginx', 'access.log')};`,
          ...['client_body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${t}/${k};`),
          '    default_type application/octet-stream;',
          nginxServerBlock({ listen: `127.0.0.1:${appPort}`, root: appRoot, fastcgiPass: `unix:${fpmSocket}`, fastcgiParams: '/etc/nginx/fastcgi_params', indent: '    ' }).trimEnd(),
          '}',
          '',
        ].join('\n'),
      );
      const candidate = new Daemon('nginx', tools.nginx, ['-p', p('nginx'), '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stopSignal: 'SIGQUIT' });
      try {
        await waitUntil(candidate, `answering on 127.0.0.1:${appPort}`, () => httpOk(`http://127.0.0.1:${appPort}${NGINX_HEALTH_PATH}`), readyMillis);
        nginx = started(candidate);
      } catch (error) {
        await candidate.stop();
        // Another process took the free port between the probe and nginx's bind: try another.
        if (o.port === null && candidate.log().includes('Address already in use')) continue;
        throw error;
      }
    }
    if (nginx === null) throw new Error('nginx could not bind a free loopback port after 5 attempts');
    await saveState();

    // -- Prometheus scraping the sidecar --------------------------------
    await mkdir(p('prometheus', 'rules'), { recursive: true });
    const c = 'tracekit stage --local';
    await writeFile(p('prometheus', 'rules', RULE_FILES.recording), yamlFile(buildRecordingRules(), c));
    await writeFile(p('prometheus', 'rules', RULE_FILES.alerts), yamlFile(buildAlertRules(), c));
    await writeFile(
      p('prometheus', 'prometheus.yml'),
      yamlFile(
        {
          global: { scrape_interval: '5s', evaluation_interval: '15s' },
          rule_files: [p('prometheus', 'rules', '*.yml')],
          scrape_configs: [{ job_name: JOBS.sidecar, static_configs: [{ targets: [sidecarTcp], labels: { host: 'local' } }] }],
        },
        c,
      ),
    );
    const promPort = await freePort();
    const prometheus = started(
      new Daemon('prometheus', tools.prometheus, [
        `--config.file=${p('prometheus', 'prometheus.yml')}`,
        `--storage.tsdb.path=${p('prometheus', 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ]),
    );
    await saveState();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitUntil(prometheus, `answering ${prometheusUrl}/-/ready`, () => httpOk(`${prometheusUrl}/-/ready`), readyMillis);

    const appUrl = `http://127.0.0.1:${appPort}/`;
    await saveState({ appUrl, prometheusUrl, sidecarUrl: `http://${sidecarTcp}` });
    const unexpectedExit = new Promise<string>((resolve) => {
      for (const d of daemons) {
        const report = (why: string): void => {
          if (stopping === null) resolve(`${d.name} (pid ${d.pid}) exited on its own (${why}):\n${d.log()}`);
        };
        if (d.exited) report(`code ${d.child.exitCode ?? d.child.signalCode}`);
        d.child.once('exit', (code, signal) => report(signal ?? `code ${code}`));
      }
    });
    return { dir, appUrl, tracesFile, prometheusUrl, sidecarUrl: `http://${sidecarTcp}`, sidecarSocket, mariadbSocket, pids, unexpectedExit, stop };
  } catch (error) {
    await stop();
    if (error instanceof TracekitError) throw error;
    throw new TracekitError('STAGE_START_FAILED', `stage --local expected every daemon to start, found: ${(error as Error).message}\n(everything started so far was stopped)`, { cause: error });
  }
}
