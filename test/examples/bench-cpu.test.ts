import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The sidecar benchmarks compare a relay's busiest thread with the thread
// budget (bench/sidecar/ingest.mjs, ab.mjs): the reading must give a thread's
// own CPU, not its process's.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const load = (await import(pathToFileURL(path.join(root, 'bench/sidecar/load.mjs')).href)) as {
  cpuSeconds(pid: number): Promise<number>;
  threadCpuSeconds(pid: number): Map<string, number>;
  busiestThreadSeconds(before: Map<string, number>, after: Map<string, number>): number;
  minorFaults(pid: number): Promise<number>;
  withSteadyMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
};

describe('bench CPU readings', () => {
  it("gives the busiest thread's own CPU: a worker that computes while its process's main thread waits", async () => {
    // The main thread waits for a line on stdin; a worker spins through a fixed amount of work, then says so.
    const program = `
      const { Worker } = require('node:worker_threads');
      process.stdin.once('data', () => {
        // The worker stays (waiting for a message that never comes) so that its thread is still there to be read.
        const w = new Worker('const { parentPort } = require("node:worker_threads"); let x = 0; for (let i = 0; i < 3e8; i++) x = (x + i) % 1000003; parentPort.postMessage(x); parentPort.once("message", () => {});', { eval: true });
        w.once('message', () => process.stdout.write('done\\n'));
      });
      process.stdout.write('ready\\n');`;
    const child = spawn(process.execPath, ['-e', program], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const process0 = await load.cpuSeconds(child.pid!);
    // Node's own threads already (the worker's comes later: a thread missing from the first reading counts from 0).
    const threads0 = load.threadCpuSeconds(child.pid!);
    expect(threads0.size).toBeGreaterThan(1);
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('done');
    const threads1 = load.threadCpuSeconds(child.pid!);
    const processSeconds = (await load.cpuSeconds(child.pid!)) - process0;
    const busiest = load.busiestThreadSeconds(threads0, threads1);
    child.kill();
    await once(child, 'exit');
    let allThreads = 0;
    for (const [tid, seconds] of threads1) allThreads += seconds - (threads0.get(tid) ?? 0);
    // One thread did nearly all the process's work, and the threads add up to the process (not each to all of it).
    expect(processSeconds).toBeGreaterThan(0.2);
    expect(busiest).toBeGreaterThan(0.7 * processSeconds);
    expect(allThreads).toBeLessThanOrEqual(processSeconds + 0.05);
  });

  it('counts the pages a process touches for the first time as minor faults', async () => {
    // 32 MiB allocated (malloc maps it fresh) and one byte written per 4 KiB page: 8,192 pages faulted in.
    const program = `
      process.stdin.once('data', () => {
        const b = Buffer.allocUnsafeSlow(32 * 1024 * 1024);
        for (let i = 0; i < b.length; i += 4096) b[i] = 1;
        globalThis.kept = b;
        process.stdout.write('done\\n');
      });
      process.stdout.write('ready\\n');`;
    const child = spawn(process.execPath, ['-e', program], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const before = await load.minorFaults(child.pid!);
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('done');
    const after = await load.minorFaults(child.pid!);
    child.kill();
    await once(child, 'exit');
    expect(after - before).toBeGreaterThanOrEqual(7000);
  });
});

// ingest.mjs starts its servers with MALLOC_STEADY: glibc ignores tunables it
// does not know without a word, so their names are checked with the dynamic
// loader's own listing of the values it would use.
const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((file) => existsSync(file));
const ci = process.env.CI === 'true';

describe.skipIf(!loader && !ci)('MALLOC_STEADY', () => {
  it('names tunables glibc takes, and keeps tunables already set', async () => {
    if (!loader) throw new Error("expected glibc's dynamic loader (/lib64/ld-linux-x86-64.so.2) to check the tunables with; found none");
    const env = load.withSteadyMalloc({ PATH: process.env.PATH, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
    const { stdout } = await promisify(execFile)(loader, ['--list-tunables'], { env });
    const value = (name: string) => new RegExp(`^glibc\\.malloc\\.${name}: (0x[0-9a-f]+)`, 'm').exec(stdout)?.[1];
    expect(value('trim_threshold')).toBe('0x40000000');
    expect(value('mmap_threshold')).toBe('0x400000');
    expect(value('arena_max')).toBe('0x2');
  });
});
