import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findTool, requireTool } from './require-tool.js';

/**
 * A real MariaDB server for tests: its own data directory under the temp dir,
 * a unix socket there, and a loopback TCP port; a database and a password
 * user for the application; stopped and removed by stop().
 */
export interface MariaDB {
  /** The server's unix socket (what the legacy app uses by default). */
  readonly socket: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The mariadbd process id. */
  readonly pid: number;
  /** The temporary directory holding the data directory, socket and logs. */
  readonly dir: string;
  /** The application user (not root), with a password. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** LEGACY_DB_* variables pointing the legacy app at this server through the socket. */
  readonly env: Readonly<Record<string, string>>;
  /** The same over loopback TCP (LEGACY_DB_SOCKET empty). */
  readonly tcpEnv: Readonly<Record<string, string>>;
  /** Runs SQL as root in the database; resolves to the tab-separated rows without headers. */
  query(sql: string): Promise<string>;
  /** Loads a .sql file into the database as root. */
  loadFile(file: string): Promise<void>;
  /** Shuts the server down and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMariaDBOptions {
  database?: string;
  user?: string;
  password?: string;
  /** .sql files loaded in order after the database is created. */
  sqlFiles?: readonly string[];
  /** How long to wait for the server to answer a ping. */
  readyTimeoutMillis?: number;
}

const MARIADBD_PATHS = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];

/** The mariadbd binary, null when it is missing outside CI (the caller skips); throws under CI. */
export function findMariaDB(): string | null {
  return requireTool('mariadbd', MARIADBD_PATHS);
}

function tool(name: string): string {
  const found = findTool(name, [`/usr/bin/${name}`]);
  if (found === null) throw new Error(`MariaDB client tool '${name}' is not installed (run test/install-deps.sh)`);
  return found;
}

function run(file: string, args: readonly string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
    if (input !== undefined) child.stdin?.end(input);
  });
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

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sqlIdent(value: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(value)) throw new Error(`database name must be [A-Za-z0-9_]+, got ${JSON.stringify(value)}`);
  return `\`${value}\``;
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log)';
  }
}

export async function startMariaDB(options: StartMariaDBOptions = {}): Promise<MariaDB> {
  const mariadbd = findMariaDB();
  if (mariadbd === null) throw new Error('mariadbd is not installed');
  const installDb = tool('mariadb-install-db');
  const admin = tool('mariadb-admin');
  const client = tool('mariadb');

  const database = options.database ?? 'shop';
  const user = options.user ?? 'shop';
  const password = options.password ?? 'shop-test-pw';
  const readyTimeoutMillis = options.readyTimeoutMillis ?? 60_000;
  sqlIdent(database);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'tk-maria-'));
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const errorLog = path.join(dir, 'error.log');
  const osUser = os.userInfo().username;
  let child: ChildProcess | null = null;
  let exited = false;

  const rootArgs = ['--no-defaults', `--socket=${socket}`, '--user=root'];

  // A test worker that dies without calling stop() must not leave a server
  // behind.
  const onExit = (): void => {
    if (child !== null && !exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (child !== null && !exited) {
      const proc = child;
      const gone = once(proc, 'exit');
      try {
        await run(admin, [...rootArgs, 'shutdown']);
      } catch {
        proc.kill('SIGTERM');
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      timer.unref();
      await gone;
      clearTimeout(timer);
    }
    child = null;
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run(installDb, [
      '--no-defaults',
      `--datadir=${dataDir}`,
      // Its own tmpdir, as the server below: with /tmp shared by the suite's concurrent servers, a
      // bootstrap once failed deleting its own temp table ("Error on delete of '/tmp/#sql-temptable-…'").
      `--tmpdir=${dir}`,
      `--user=${osUser}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ]);

    const port = await freeLoopbackPort();
    child = spawn(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--log-error=${errorLog}`,
        `--tmpdir=${dir}`,
        `--user=${osUser}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M',
        '--key-buffer-size=1M',
        '--performance-schema=OFF',
        '--max-connections=50',
      ],
      { stdio: 'ignore' },
    );
    const proc = child;
    proc.once('exit', () => {
      exited = true;
    });

    // Readiness: poll with mariadb-admin ping until the deadline; a server
    // that exits early fails at once with its error log.
    const deadline = Date.now() + readyTimeoutMillis;
    for (;;) {
      if (exited) throw new Error(`mariadbd exited during start-up:\n${await tail(errorLog)}`);
      try {
        await run(admin, [...rootArgs, '--connect-timeout=2', 'ping']);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not answer a ping within ${readyTimeoutMillis} ms: ${(error as Error).message}\n${await tail(errorLog)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    const db = sqlIdent(database);
    const setup = [
      `CREATE DATABASE ${db} CHARACTER SET utf8mb4`,
      ...['localhost', '127.0.0.1'].flatMap((h) => [
        `CREATE USER ${sqlString(user)}@${sqlString(h)} IDENTIFIED BY ${sqlString(password)}`,
        `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(user)}@${sqlString(h)}`,
      ]),
    ].join(';\n');
    await run(client, [...rootArgs, '--batch', '-e', setup]);

    const query = async (sql: string): Promise<string> => {
      const { stdout } = await run(client, [...rootArgs, '--batch', '--skip-column-names', `--database=${database}`, '-e', sql]);
      return stdout;
    };
    const loadFile = async (file: string): Promise<void> => {
      await run(client, [...rootArgs, '--batch', `--database=${database}`], await readFile(file, 'utf8'));
    };
    for (const file of options.sqlFiles ?? []) await loadFile(file);

    const common = { LEGACY_DB_USER: user, LEGACY_DB_PASSWORD: password, LEGACY_DB_NAME: database };
    return {
      pid: proc.pid ?? -1,
      dir,
      socket,
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      env: Object.freeze({ ...common, LEGACY_DB_HOST: 'localhost', LEGACY_DB_PORT: String(port), LEGACY_DB_SOCKET: socket }),
      tcpEnv: Object.freeze({ ...common, LEGACY_DB_HOST: '127.0.0.1', LEGACY_DB_PORT: String(port), LEGACY_DB_SOCKET: '' }),
      query,
      loadFile,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
