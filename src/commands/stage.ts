import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';

export function registerStage(program: Command, _ctx: CommandContext): void {
  program.command('stage').description('Write the Docker staging stack, or run the pipeline locally with --local');
}
