import { Command, CommanderError } from 'commander';
import { isTracekitError } from './errors.js';
import { processIO, type CliIO } from './io.js';
import { VERSION } from './version.js';
import { COMMANDS } from './commands/index.js';

/** What a command's action gets besides its own options. */
export interface CommandContext {
  readonly io: CliIO;
  /** Sets the exit status the CLI ends with (the highest one set wins). */
  setExitCode(code: number): void;
}

/**
 * Builds the program with the commands `argv` can reach: the named one only,
 * or all of them when no known command is named (top-level help, typos).
 */
export async function buildProgram(ctx: CommandContext, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('tracekit')
    .description('Make legacy PHP applications traceable with OpenTelemetry, and stand up the collector seam.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage and examples)')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .exitOverride();
  const named = COMMANDS.find((entry) => entry.name === argv.find((arg) => !arg.startsWith('-')));
  for (const entry of named ? [named] : COMMANDS) (await entry.load())(program, ctx);
  for (const command of program.commands) inheritBehaviour(command, program);
  return program;
}

function inheritBehaviour(command: Command, parent: Command): void {
  command.exitOverride().configureOutput(parent.configureOutput()).showHelpAfterError('(run with --help for usage and examples)');
  for (const sub of command.commands) inheritBehaviour(sub, command);
}

/**
 * Runs the CLI and returns the exit status. The one place that turns errors
 * into a line on stderr; nothing else calls process.exit.
 */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const ctx: CommandContext = {
    io,
    setExitCode(code) {
      exitCode = Math.max(exitCode, code);
    },
  };
  const program = await buildProgram(ctx, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (isTracekitError(error)) {
      io.stderr.write(`tracekit: ${error.message} [${error.code}]\n`);
      return error.exitCode;
    }
    throw error;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  // `tracekit … | head` closes the pipe early: that is the reader's choice,
  // not an error worth a stack trace. Later writes are dropped.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.exitCode = await run(argv.slice(2));
}
