import { SchedulerConfigError } from '../errors';

/**
 * One key of a scheduler config: its camelCase name in TypeScript, its snake_case name in
 * `scheduler_config.json` (diffusers' spelling), its default, and a parser that checks a value.
 */
export interface ConfigField<K extends string = string> {
  key: K;
  json: string;
  defaultValue: unknown;
  parse: (value: unknown) => unknown;
}

/**
 * diffusers options that pgen accepts only at their inert value, so that configs written by
 * diffusers load, while a config asking for something pgen does not do fails loudly instead of
 * being silently ignored.
 */
export interface InertField {
  json: string;
  /** Why a value is refused, or undefined when it is accepted. */
  check: (value: unknown) => string | undefined;
}

/** Where a config came from, for error messages (a file path, or a short description). */
export interface ConfigSource {
  source?: string;
}

/** A field whose values are integers in [min, ∞). */
export function intField<K extends string>(
  key: K,
  json: string,
  defaultValue: number,
  min: number,
): ConfigField<K> {
  return {
    key,
    json,
    defaultValue,
    parse: (value) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
        throw new Error(`must be an integer ≥ ${min}, got ${describe(value)}`);
      }
      return value;
    },
  };
}

/** A field whose values are finite numbers in the open interval (min, max). */
export function numberField<K extends string>(
  key: K,
  json: string,
  defaultValue: number,
  min: number,
  max: number,
): ConfigField<K> {
  return {
    key,
    json,
    defaultValue,
    parse: (value) => {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= min || value >= max) {
        throw new Error(`must be a number in (${min}, ${max}), got ${describe(value)}`);
      }
      return value;
    },
  };
}

/** A boolean field. */
export function boolField<K extends string>(
  key: K,
  json: string,
  defaultValue: boolean,
): ConfigField<K> {
  return {
    key,
    json,
    defaultValue,
    parse: (value) => {
      if (typeof value !== 'boolean')
        throw new Error(`must be true or false, got ${describe(value)}`);
      return value;
    },
  };
}

/**
 * A field taking one of `allowed`; `unsupported` lists values diffusers knows that pgen
 * refuses, with the reason, so the error says "not implemented" rather than "unknown".
 */
export function enumField<K extends string, V extends string>(
  key: K,
  json: string,
  defaultValue: V,
  allowed: readonly V[],
  unsupported: Readonly<Record<string, string>> = {},
): ConfigField<K> {
  return {
    key,
    json,
    defaultValue,
    parse: (value) => {
      if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value;
      if (typeof value === 'string' && unsupported[value] !== undefined) {
        throw new Error(`${JSON.stringify(value)} is not supported by pgen: ${unsupported[value]}`);
      }
      throw new Error(`must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    },
  };
}

/** A field holding null or a non-empty array of finite numbers (diffusers' `trained_betas`). */
export function betasField<K extends string>(key: K, json: string): ConfigField<K> {
  return {
    key,
    json,
    defaultValue: null,
    parse: (value) => {
      if (value === null || value === undefined) return null;
      if (!Array.isArray(value) || value.length === 0) {
        throw new Error(`must be null or a non-empty array of numbers, got ${describe(value)}`);
      }
      value.forEach((beta, i) => {
        if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0 || beta >= 1) {
          throw new Error(`[${i}] must be a number in (0, 1), got ${describe(beta)}`);
        }
      });
      return [...value] as number[];
    },
  };
}

/** An inert diffusers option: accepted only when it equals `inertValue`. */
export function inertEquals(json: string, inertValue: unknown, reason: string): InertField {
  return {
    json,
    check: (value) =>
      value === inertValue || value === undefined || value === null ? undefined : reason,
  };
}

/** An inert diffusers option whose value only matters when another option is on: any number. */
export function inertNumber(json: string): InertField {
  return {
    json,
    check: (value) =>
      typeof value === 'number' || value === null ? undefined : `must be a number`,
  };
}

/**
 * Builds a full config from a JSON object (snake_case keys, as in `scheduler_config.json`) or a
 * TypeScript options object (camelCase keys): missing keys take their defaults; keys starting
 * with `_` are metadata (`_class_name` must match `className` when present); any other unknown
 * key, a bad value, or a key given in both spellings is a {@link SchedulerConfigError}.
 */
export function parseConfig<T>(
  input: unknown,
  fields: readonly ConfigField[],
  inert: readonly InertField[],
  className: string,
  where: ConfigSource = {},
): T {
  const prefix = `${className} config${where.source ? ` (${where.source})` : ''}`;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SchedulerConfigError(`${prefix}: expected a JSON object, got ${describe(input)}`);
  }
  const record = input as Record<string, unknown>;
  const declared = record._class_name;
  if (declared !== undefined && declared !== className) {
    throw new SchedulerConfigError(
      `${prefix}: the config is for ${describe(declared)}, not ${className}`,
    );
  }
  const byName = new Map<string, ConfigField | InertField>();
  for (const field of fields) {
    byName.set(field.key, field);
    byName.set(field.json, field);
  }
  for (const field of inert) byName.set(field.json, field);

  const out: Record<string, unknown> = {};
  const seen = new Map<ConfigField, string>();
  for (const [name, value] of Object.entries(record)) {
    if (name.startsWith('_')) continue;
    const field = byName.get(name);
    if (field === undefined) {
      const known = fields.map((f) => f.json).join(', ');
      throw new SchedulerConfigError(`${prefix}: unknown key "${name}" (known keys: ${known})`);
    }
    if (!('parse' in field)) {
      const problem = field.check(value);
      if (problem !== undefined) {
        throw new SchedulerConfigError(`${prefix}: ${name} = ${describe(value)}: ${problem}`);
      }
      continue;
    }
    const other = seen.get(field);
    if (other !== undefined) {
      throw new SchedulerConfigError(`${prefix}: "${other}" and "${name}" are the same key`);
    }
    seen.set(field, name);
    if (value === undefined) continue;
    try {
      out[field.key] = field.parse(value);
    } catch (error) {
      throw new SchedulerConfigError(`${prefix}: ${name} ${(error as Error).message}`);
    }
  }
  for (const field of fields) {
    if (!(field.key in out)) out[field.key] = field.defaultValue;
  }
  return out as T;
}

/** The JSON form of a config: snake_case keys, `_class_name` first, as diffusers writes it. */
export function configToJson(
  config: object,
  fields: readonly ConfigField[],
  className: string,
): Record<string, unknown> {
  const values = config as Record<string, unknown>;
  const out: Record<string, unknown> = { _class_name: className };
  for (const field of fields) out[field.json] = values[field.key];
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
