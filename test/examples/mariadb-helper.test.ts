import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMariaDB, startMariaDB, type MariaDB } from '../helpers/mariadb.js';
import { findTool } from '../helpers/require-tool.js';

const run = promisify(execFile);
const mariadbd = findMariaDB();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(mariadbd === null)('test/helpers/mariadb.ts starts and stops a real MariaDB', () => {
  let db: MariaDB;
  const client = findTool('mariadb', ['/usr/bin/mariadb']) ?? 'mariadb';

  beforeAll(async () => {
    db = await startMariaDB({ database: 'helper_test', user: 'app', password: "p'w\\1" });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('lets the application user in with its password over TCP and the socket, into its database only', async () => {
    const tcp = await run(client, ['--no-defaults', '-h', db.host, '-P', String(db.port), '-u', db.user, `-p${db.password}`, '--batch', '--skip-column-names', '-e', 'SELECT DATABASE(), CURRENT_USER()', db.database]);
    expect(tcp.stdout.trim()).toBe('helper_test\tapp@127.0.0.1');
    const sock = await run(client, ['--no-defaults', `--socket=${db.socket}`, '-u', db.user, `-p${db.password}`, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER()', db.database]);
    expect(sock.stdout.trim()).toBe('app@localhost');
    await expect(run(client, ['--no-defaults', `--socket=${db.socket}`, '-u', db.user, '-pwrong', '-e', 'SELECT 1'])).rejects.toThrow(/Access denied/);
    await expect(run(client, ['--no-defaults', `--socket=${db.socket}`, '-u', db.user, `-p${db.password}`, '-e', 'CREATE DATABASE other'])).rejects.toThrow(/denied/);
  });

  it('runs SQL as root through query()', async () => {
    await db.query('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO t VALUES (1, "a"), (2, "b")');
    expect(await db.query('SELECT id, name FROM t ORDER BY id')).toBe('1\ta\n2\tb\n');
  });

  it('exports LEGACY_DB_* settings for the socket and for TCP', () => {
    expect(db.env).toMatchObject({ LEGACY_DB_SOCKET: db.socket, LEGACY_DB_USER: 'app', LEGACY_DB_PASSWORD: "p'w\\1", LEGACY_DB_NAME: 'helper_test' });
    expect(db.tcpEnv).toMatchObject({ LEGACY_DB_HOST: '127.0.0.1', LEGACY_DB_PORT: String(db.port), LEGACY_DB_SOCKET: '' });
  });

  it('stop() ends the server and removes its directory, and can be called twice', async () => {
    expect(alive(db.pid)).toBe(true);
    expect(existsSync(db.socket)).toBe(true);
    await db.stop();
    expect(alive(db.pid)).toBe(false);
    expect(existsSync(db.dir)).toBe(false);
    await db.stop();
  });
});
