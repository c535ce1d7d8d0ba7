import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDB, findMariaDB, type MariaDB } from '../helpers/mariadb.js';
import { findPhp72Violations } from '../helpers/php72-syntax.js';
import { requireTool } from '../helpers/require-tool.js';
import { startPhpServer, type PhpServer } from './php-server.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const appDir = path.join(root, 'examples/legacy-app');

interface PageSpec {
  path: string;
  method: 'GET' | 'POST';
  query: Record<string, string>;
  body?: Record<string, string>;
  status: number;
  contains: string[];
}

const pages = (JSON.parse(readFileSync(path.join(appDir, 'pages.json'), 'utf8')) as { pages: PageSpec[] }).pages;

function phpFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...phpFiles(path.join(dir, entry.name), relPath));
    else if (/\.(php|inc|phtml)$/i.test(entry.name)) out.push(relPath);
  }
  return out.sort();
}

const files = phpFiles(appDir);
const php = requireTool('php');
const mariadbd = findMariaDB();

// What PHP prints for a diagnostic with display_errors=1 (HTML or plain), and
// what it logs with log_errors=1.
const DIAGNOSTIC = /(<b>)?(Warning|Notice|Deprecated|Fatal error|Parse error|Strict Standards)(<\/b>)?:|PHP (Warning|Notice|Deprecated|Fatal error|Parse error)/;

function pageLabel(p: PageSpec): string {
  const q = new URLSearchParams(p.query).toString();
  return `${p.method} ${p.path}${q ? `?${q}` : ''}${p.body ? ` ${new URLSearchParams(p.body).toString()}` : ''}`;
}

async function request(server: PhpServer, p: PageSpec): Promise<{ status: number; body: string }> {
  const q = new URLSearchParams(p.query).toString();
  const res = await fetch(`${server.baseUrl}${p.path}${q ? `?${q}` : ''}`, {
    method: p.method,
    redirect: 'manual',
    ...(p.body ? { body: new URLSearchParams(p.body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
  });
  return { status: res.status, body: await res.text() };
}

describe('examples/legacy-app sources', () => {
  it('has 20-30 PHP files (.php, .inc, .phtml)', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.length).toBeLessThanOrEqual(30);
    expect(files.some((f) => f.endsWith('.inc'))).toBe(true);
    expect(files.some((f) => f.endsWith('.phtml'))).toBe(true);
  });

  it.skipIf(php === null)('every PHP file passes php -l', async () => {
    const failures: string[] = [];
    for (const file of files) {
      try {
        await execFileAsync(php!, ['-l', path.join(appDir, file)]);
      } catch (error) {
        failures.push(`${file}: ${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('uses only PHP 7.2 syntax', () => {
    const violations = files.flatMap((file) =>
      findPhp72Violations(readFileSync(path.join(appDir, file), 'utf8'), file).map((v) => `${file}:${v.line} ${v.construct}`),
    );
    expect(violations).toEqual([]);
  });

  it('pages.json lists only pages that exist, each with an expected status and text', () => {
    expect(pages.length).toBeGreaterThan(20);
    for (const p of pages) {
      expect(files, p.path).toContain(p.path.replace(/^\//, ''));
      expect([200, 400, 404, 422, 500]).toContain(p.status);
      expect(p.contains.length, p.path).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(php === null || mariadbd === null)('examples/legacy-app served by php -S against a real MariaDB', () => {
  let db: MariaDB;
  let server: PhpServer;
  const first = new Map<number, { status: number; body: string }>();

  beforeAll(async () => {
    db = await startMariaDB({ sqlFiles: [path.join(appDir, 'sql/schema.sql'), path.join(appDir, 'sql/seed.sql')] });
    server = await startPhpServer({ php: php!, docroot: appDir, env: db.env });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.stop();
  });

  it('the seed loaded', async () => {
    expect((await db.query('SELECT COUNT(*) FROM order_items')).trim()).toBe('18');
  });

  it.each(pages.map((p, i) => [pageLabel(p), i] as const))('%s answers as pages.json says', async (_label, i) => {
    const p = pages[i]!;
    const res = await request(server, p);
    expect(res.body).not.toMatch(DIAGNOSTIC);
    expect(res.status, res.body).toBe(p.status);
    for (const text of p.contains) expect(res.body).toContain(text);
    first.set(i, res);
  });

  it('every page gives the same bytes the second time round (after all POSTs ran)', async () => {
    expect(first.size).toBe(pages.length);
    for (const [i, p] of pages.entries()) {
      const again = await request(server, p);
      expect({ page: pageLabel(p), status: again.status, body: again.body }).toEqual({ page: pageLabel(p), ...first.get(i)! });
    }
  });

  it('the checkout transaction committed the good orders and rolled back the bad one', async () => {
    // Two rounds of the page list: each posted one good order (2 lines) and
    // one with an unknown SKU whose first line must have been rolled back.
    expect((await db.query('SELECT COUNT(*), SUM(total) FROM web_orders')).trim()).toBe('2\t51.00');
    expect((await db.query('SELECT COUNT(*) FROM web_order_items')).trim()).toBe('4');
    expect((await db.query('SELECT COUNT(*) FROM messages JOIN message_topics ON message_id = id')).trim()).toBe('2');
  });

  it('the server log has no PHP warnings, notices or errors', () => {
    const problems = server.log().split('\n').filter((line) => DIAGNOSTIC.test(line));
    expect(problems).toEqual([]);
  });

  it('also works over loopback TCP (mysqli and PDO)', async () => {
    const tcp = await startPhpServer({ php: php!, docroot: appDir, env: db.tcpEnv });
    try {
      for (const p of pages.filter((x) => ['/index.php', '/report.php', '/customer.php', '/customers.php'].includes(x.path) && x.status === 200)) {
        const res = await request(tcp, p);
        expect(res.status, pageLabel(p)).toBe(200);
        for (const text of p.contains) expect(res.body).toContain(text);
      }
      expect(tcp.log().split('\n').filter((line) => DIAGNOSTIC.test(line))).toEqual([]);
    } finally {
      await tcp.stop();
    }
  });

  it('a page shows the error page, not a PHP error, when the database is unreachable', async () => {
    const down = await startPhpServer({ php: php!, docroot: appDir, env: { ...db.env, LEGACY_DB_SOCKET: path.join(path.dirname(db.socket), 'nope.sock') } });
    try {
      for (const p of ['/index.php', '/customers.php', '/customer.php', '/report.php', '/admin/index.php']) {
        const res = await request(down, { path: p, method: 'GET', query: {}, status: 500, contains: [] });
        expect(res.status, p).toBe(500);
        expect(res.body, p).not.toMatch(DIAGNOSTIC);
        expect(res.body, p).toContain('Error 500.');
      }
    } finally {
      await down.stop();
    }
  });
});
