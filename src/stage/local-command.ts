import type { CommandContext } from '../cli.js';

export async function runLocal(_flags: { app?: string; dir?: string; port?: string }, _ctx: CommandContext): Promise<void> {
  throw new Error('not yet');
}
