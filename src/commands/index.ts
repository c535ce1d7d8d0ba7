import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { registerAudit } from './audit.js';
import { registerSidecar } from './sidecar.js';
import { registerPhp } from './php.js';

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Every top-level command, in the order `tracekit --help` lists them. */
export const COMMANDS: readonly RegisterCommand[] = [registerAudit, registerSidecar, registerPhp];
