/**
 * Wraps a setup step (create a queue or table) so it runs once per instance; a failed attempt is
 * forgotten, so the next call tries again instead of failing forever.
 */
export function onceSucceeded(setup: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= setup().then(
      () => undefined,
      (error: unknown) => {
        done = undefined;
        throw error;
      },
    );
    return done;
  };
}
