import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/**
 * One child process `stage --local` started and must stop: it keeps the
 * process's output (and the log files it names) for error messages, and
 * knows how to ask it to stop.
 */
export class Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  private output = '';
  private readonly logFiles: readonly string[];
  private readonly stopSignal: NodeJS.Signals;
  exited = false;

  constructor(name: string, file: string, args: readonly string[], options: SpawnOptions & { logFiles?: readonly string[]; stopSignal?: NodeJS.Signals } = {}) {
    this.name = name;
    this.logFiles = options.logFiles ?? [];
    this.stopSignal = options.stopSignal ?? 'SIGTERM';
    // Own process group: a Ctrl-C on the terminal reaches stage --local only,
    // which then stops the daemons in order (php-fpm before the sidecar drains).
    this.child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
    const keep = (chunk: Buffer): void => {
      // Bounded: only the tail is ever shown.
      this.output = (this.output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.once('exit', () => {
      this.exited = true;
    });
    // A spawn failure (ENOENT, EACCES) arrives as 'error'; it also counts as an exit.
    this.child.once('error', (error) => {
      this.output += `\n${error.message}`;
      this.exited = true;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The process's output and its log files, last lines first cut. */
  log(lines = 25): string {
    let text = this.output;
    for (const f of this.logFiles) {
      try {
        text += readFileSync(f, 'utf8');
      } catch {
        // not written yet
      }
    }
    return text.trim().split('\n').slice(-lines).join('\n');
  }

  /** Asks the process to stop, then kills it after `graceMillis`. Safe to call twice. */
  async stop(graceMillis = 10_000): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = once(this.child, 'exit');
    this.child.kill(this.stopSignal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMillis);
    await gone;
    clearTimeout(timer);
  }

  /** Last resort at process exit: synchronous, no waiting. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Polls `check` until it returns true, the daemon exits, or the deadline passes. */
export async function waitUntil(daemon: Daemon, what: string, check: () => Promise<boolean> | boolean, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    if (daemon.exited) throw new Error(`${daemon.name} exited before ${what}:\n${daemon.log()}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${daemon.name} did not get ready (${what}) within ${timeoutMillis} ms:\n${daemon.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
