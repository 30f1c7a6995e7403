/** Outbreak method ids, as settings and the outbreak_signals table name them (see methods.ts). */
export const SERIES_METHODS = ['ears_c1', 'ears_c2', 'ears_c3', 'cusum', 'farrington', 'positivity_wow', 'positivity_seasonal'] as const;
export const OUTBREAK_METHODS = [...SERIES_METHODS, 'scan'] as const;
export type SeriesMethod = (typeof SERIES_METHODS)[number];
export type OutbreakMethod = (typeof OUTBREAK_METHODS)[number];

export function isOutbreakMethod(value: string): value is OutbreakMethod {
  return (OUTBREAK_METHODS as readonly string[]).includes(value);
}

/** A comma-separated list of method ids, or undefined when one is not a method. */
export function parseOutbreakMethods(raw: string): OutbreakMethod[] | undefined {
  const ids = raw.split(',').map((m) => m.trim()).filter(Boolean);
  return ids.length > 0 && ids.every(isOutbreakMethod) ? [...new Set(ids)] : undefined;
}
