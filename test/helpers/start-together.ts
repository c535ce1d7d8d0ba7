/**
 * Starts things side by side and waits for every start to settle before it
 * throws the first failure, so that each thing that did start has been
 * handed to `started` (and so to the test's afterAll) before the error
 * reaches vitest. With Promise.all, a failed start returns at once and a
 * sibling that finishes starting later is left running.
 */
export async function startTogether(starts: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
  }
}
