import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pollUntilTrue } from '../helpers/poll.js';
import { requireTool } from '../helpers/require-tool.js';
import { runtimeLoader } from './php-cli.js';

const php = requireTool('php');
const execFileAsync = promisify(execFile);

/**
 * The kept connection's life through php-cli against a Node stand-in: the
 * answer to one export is read and dropped at the start of the next, and a
 * connection the sidecar has closed (idle timeout, restart) is noticed there
 * and replaced, so the export still goes out.
 */
describe.skipIf(php === null)('the exporter\'s kept connection (php-cli, a real unix socket)', () => {
  const bin = php as string;
  let dir: string | undefined;
  let server: net.Server | undefined;

  afterEach(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });

  async function scenario(closeAfterAnswer: boolean): Promise<{ results: string[]; connections: number; requests: string[] }> {
    dir = mkdtempSync(path.join(tmpdir(), 'tk-php-exporter-'));
    const socketPath = path.join(dir, 'sidecar.sock');
    // closed-N: the stand-in has answered and closed (sent its FIN on) its N-th connection.
    const closedFlag = (n: number | string): string => path.join(dir!, `closed-${n}`);
    const requests: string[] = [];
    let connections = 0;
    server = net.createServer((socket) => {
      const number = ++connections;
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        // One request per export, its body "{}": answer it, then (idle timeout) close.
        while (buffered.includes('\r\n\r\n{}')) {
          const end = buffered.indexOf('\r\n\r\n{}') + 6;
          requests.push(buffered.slice(0, end));
          buffered = buffered.slice(end);
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
          if (closeAfterAnswer) socket.end(() => writeFileSync(closedFlag(number), 'closed'));
        }
      });
      socket.on('error', () => {});
    });
    server.listen(socketPath);
    await once(server, 'listening');
    const script = path.join(dir, 'case.php');
    // With closes, each export after the first waits until the stand-in has answered and closed the
    // previous connection: a file it writes once its FIN is sent, polled (the wait is for that event).
    writeFileSync(script, `<?php
require ${JSON.stringify(runtimeLoader)};
use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\Exporter;
$c = Config::resolve(['endpoint' => 'unix://${socketPath}'], function ($n) { return $n === 'TRACEKIT_EXPORT_TIMEOUT_MS' ? '1000' : false; });
$results = [];
$flags = ${JSON.stringify(closedFlag(''))};
for ($export = 1; $export <= 3; $export++) {
    for ($i = 0; ${closeAfterAnswer ? 'true' : 'false'} && $export > 1 && !file_exists($flags . ($export - 1)) && $i < 10000; $i++) { usleep(1000); clearstatcache(); }
    $results[] = Exporter::send($c, '{}');
}
echo json_encode($results);
`);
    const { stdout, stderr } = await execFileAsync(bin, ['-d', 'error_reporting=-1', '-d', 'display_errors=stderr', script], { encoding: 'utf8' });
    expect(stderr).toBe('');
    const results = JSON.parse(stdout) as string[];
    // Every export PHP calls sent is on its way, but php-cli may exit before the stand-in has read the last one.
    const sent = results.filter((r) => r === 'sent').length;
    await pollUntilTrue(`the stand-in to read ${sent} export(s)`, () => requests.length >= sent, { timeoutMillis: 5000 });
    return { results, connections, requests };
  }

  it('keeps one connection while the sidecar keeps it', async () => {
    const { results, connections, requests } = await scenario(false);
    expect(results).toEqual(['sent', 'sent', 'sent']);
    expect(requests).toHaveLength(3);
    expect(connections).toBe(1);
  });

  it('notices a connection the sidecar closed after answering, and sends on a new one', async () => {
    const { results, connections, requests } = await scenario(true);
    expect(existsSync(path.join(dir!, 'closed-2'))).toBe(true);
    expect(results).toEqual(['sent', 'sent', 'sent']);
    // Each export found the previous connection closed (answer read, then EOF) and opened another.
    expect(requests).toHaveLength(3);
    expect(connections).toBe(3);
    for (const request of requests) expect(request).toMatch(/^POST \/v1\/traces HTTP\/1\.1\r\n/);
  });
});
