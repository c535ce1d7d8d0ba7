/**
 * V8 heuristics for one short batch run. An audit lasts a second or a few,
 * and on the grown benchmark tree V8's compiler threads used ~0.6–0.7 of
 * the run's ~1.7 CPU-s (their CPU time from /proc; with
 * `--no-concurrent-recompilation` the same time moves to the main thread),
 * ~0.35 CPU-s with these flags. The flags are process-wide, so only
 * the CLI (and the benchmark that measures the engine as the CLI runs it)
 * calls this, before the engine's code gets hot; embedders keep their own.
 */
import { setFlagsFromString } from 'node:v8';

export const BATCH_RUN_V8_FLAGS: readonly string[] = [
  // Every file's facts are kept, so V8 switched the allocation sites that build them to old-space
  // allocation mid-run, and each switch threw away the optimised code allocating there: token-facts'
  // collect() was compiled up to six times (~0.1 s each).
  '--no-allocation-site-pretenuring',
  // TurboFan's compile time grows with what it inlines into the large token loops; a smaller budget
  // than the default 920 bytes of bytecode per function measured ~10 % less CPU on both trees, and
  // the same on a 4.5 CPU-s run where every file is parsed (steady-state code as fast).
  '--max-inlined-bytecode-size-cumulative=300',
];

let tuned = false;

/** Sets BATCH_RUN_V8_FLAGS once; they only steer optimisation, never what the code computes. */
export function tuneV8ForBatchRun(): void {
  if (tuned) return;
  tuned = true;
  for (const flag of BATCH_RUN_V8_FLAGS) setFlagsFromString(flag);
}
