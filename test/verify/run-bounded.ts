// Runs many async tasks with a cap on how many are in flight and a deadline:
// a guarantee suite never floods a host and never runs unbounded.

export interface BoundedRun {
  /** Tasks that ran to the end (with or without an error). */
  done: number;
  /** Tasks never started because the deadline passed. */
  skipped: number;
  /** Errors thrown by tasks, with the index of the item. */
  errors: Array<{ index: number; error: unknown }>;
}

export async function runBounded<T>(
  items: readonly T[],
  options: { concurrency: number; deadline: number },
  task: (item: T, index: number) => Promise<void>,
): Promise<BoundedRun> {
  const run: BoundedRun = { done: 0, skipped: 0, errors: [] };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      if (Date.now() > options.deadline) {
        run.skipped++;
        continue;
      }
      try {
        await task(items[index]!, index);
      } catch (error) {
        run.errors.push({ index, error });
      }
      run.done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, worker));
  return run;
}
