import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';

export function registerAudit(program: Command, _ctx: CommandContext): void {
  program.command('audit [dir]').description('Inventory the database layer of a PHP tree');
}
