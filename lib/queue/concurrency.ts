/**
 * Runs `work` over `items` with at most `limit` in flight. Every started item finishes before the
 * first failure (if any) is rethrown, so no work is left running behind the caller's back.
 */
export async function forEachLimited<I>(items: readonly I[], limit: number, work: (item: I) => Promise<void>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const item = items[next++] as I;
      await work(item);
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  const outcomes = await Promise.allSettled(workers);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}
