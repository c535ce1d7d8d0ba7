import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { registerAudit } from './audit.js';
import { registerSidecar } from './sidecar.js';
import { registerPhp } from './php.js';
import { registerAgent } from './agent.js';
import { registerCollector } from './collector.js';
import { registerDoctor } from './doctor.js';

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Every top-level command, in the order `tracekit --help` lists them. */
export const COMMANDS: readonly RegisterCommand[] = [registerAudit, registerSidecar, registerPhp, registerCollector, registerAgent, registerDoctor];
