/**
 * Setting definitions as data: each knows how to parse its raw text, its default, and where it
 * lives. The same list drives validation, `local.settings.sample.json`, the README table and
 * (later) the Bicep app settings, so that every place names the same keys.
 */
export interface SettingDefinition<T> {
  readonly description: string;
  /** Expected form, shown in errors: "an integer from 1 to 65535". */
  readonly expected: string;
  readonly default: T;
  /** Value text for the sample settings file and docs. */
  readonly example: string;
  readonly secret: boolean;
  /** Only meaningful on a laptop (never set in Azure). */
  readonly localOnly: boolean;
  parse(raw: string): T | undefined;
}

interface Common {
  description: string;
  secret?: boolean;
  localOnly?: boolean;
  example?: string;
}

function define<T>(common: Common, expected: string, fallback: T, parse: (raw: string) => T | undefined): SettingDefinition<T> {
  return {
    description: common.description,
    expected,
    default: fallback,
    example: common.example ?? (fallback === undefined || fallback === null ? '' : String(fallback)),
    secret: common.secret ?? false,
    localOnly: common.localOnly ?? false,
    parse,
  };
}

export function text(common: Common & { default?: string }): SettingDefinition<string> {
  return define(common, 'text', common.default ?? '', (raw) => raw);
}

export function integer(common: Common & { default: number; min: number; max: number }): SettingDefinition<number> {
  return define(common, `an integer from ${common.min} to ${common.max}`, common.default, (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return undefined;
    const value = Number(raw);
    return value >= common.min && value <= common.max ? value : undefined;
  });
}

export function number(common: Common & { default: number; min: number; max: number }): SettingDefinition<number> {
  return define(common, `a number from ${common.min} to ${common.max}`, common.default, (raw) => {
    const value = Number(raw.trim());
    return raw.trim() !== '' && Number.isFinite(value) && value >= common.min && value <= common.max ? value : undefined;
  });
}

export function boolean(common: Common & { default: boolean }): SettingDefinition<boolean> {
  return define(common, 'true or false', common.default, (raw) => {
    const value = raw.trim().toLowerCase();
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return undefined;
  });
}

export function oneOf<const V extends string>(common: Common & { values: readonly V[]; default: V }): SettingDefinition<V> {
  return define(common, `one of ${common.values.join(', ')}`, common.default, (raw) =>
    (common.values as readonly string[]).includes(raw.trim()) ? (raw.trim() as V) : undefined,
  );
}

/** NCRONTAB as Azure Functions timers use it: six fields, seconds first. */
export function schedule(common: Common & { default: string }): SettingDefinition<string> {
  const field = /^[\d*/,-]+$/;
  return define(common, 'a six-field NCRONTAB expression such as "0 */15 * * * *"', common.default, (raw) => {
    const fields = raw.trim().split(/\s+/);
    return fields.length === 6 && fields.every((f) => field.test(f)) ? raw.trim() : undefined;
  });
}

export function isoDate(common: Common & { default: string }): SettingDefinition<string> {
  return define(common, 'a date YYYY-MM-DD', common.default, (raw) => {
    const value = raw.trim();
    return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : undefined;
  });
}
