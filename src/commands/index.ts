import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export interface CommandEntry {
  /** The command's name as typed after `tracekit`. */
  readonly name: string;
  /** Loads the command's module. Only the command being run is loaded: the
   * sidecar, collector and audit stacks each pull in their own dependencies,
   * and loading all of them cost ~0.3 s on every start. */
  readonly load: () => Promise<RegisterCommand>;
}

/** Every top-level command, in the order `tracekit --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'audit', load: async () => (await import('./audit.js')).registerAudit },
  { name: 'sidecar', load: async () => (await import('./sidecar.js')).registerSidecar },
  { name: 'php', load: async () => (await import('./php.js')).registerPhp },
  { name: 'collector', load: async () => (await import('./collector.js')).registerCollector },
  { name: 'agent', load: async () => (await import('./agent.js')).registerAgent },
  { name: 'doctor', load: async () => (await import('./doctor.js')).registerDoctor },
  { name: 'wire', load: async () => (await import('./wire.js')).registerWire },
  { name: 'stage', load: async () => (await import('./stage.js')).registerStage },
];
