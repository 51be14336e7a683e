import { SchedulerConfigError } from '../errors';
import type { ConfigSource } from './config-fields';
import { readSchedulerConfig } from './config-file';
import { DdimScheduler } from './ddim-scheduler';
import { DdpmScheduler } from './ddpm-scheduler';
import { COMMON_FIELDS } from './scheduler-config';

/** A scheduler pgen can build from a config. */
export type Scheduler = DdpmScheduler | DdimScheduler;

/** The sampler kinds, by the name `sample({ sampler })` takes. */
export type SamplerKind = 'ddpm' | 'ddim';

/**
 * A scheduler from a config object, of the class its `_class_name` names (`DDPMScheduler` or
 * `DDIMScheduler`).
 */
export function schedulerFromConfig(json: unknown, where: ConfigSource = {}): Scheduler {
  const name =
    json !== null && typeof json === 'object'
      ? (json as Record<string, unknown>)._class_name
      : undefined;
  if (name === DdpmScheduler.className) return DdpmScheduler.fromConfig(json, where);
  if (name === DdimScheduler.className) return DdimScheduler.fromConfig(json, where);
  const from = where.source ? ` in ${where.source}` : '';
  throw new SchedulerConfigError(
    `scheduler config${from} has _class_name ${JSON.stringify(name)}; pgen reads ` +
      `${DdpmScheduler.className} and ${DdimScheduler.className}`,
  );
}

/** Loads `<dir>/scheduler_config.json` (or a `.json` file) as whichever scheduler it names. */
export async function loadScheduler(location: string): Promise<Scheduler> {
  const { json, file } = await readSchedulerConfig(location);
  return schedulerFromConfig(json, { source: file });
}

/**
 * A scheduler of kind `kind` with the same noise schedule and prediction settings as
 * `scheduler` (the keys DDPM and DDIM share; the rest take their defaults), like diffusers'
 * `DDIMScheduler.from_config(ddpm.config)`. Returns a new scheduler even when the kind is the
 * same, so the caller may change its timesteps freely.
 */
export function convertScheduler(scheduler: Scheduler, kind: SamplerKind): Scheduler {
  const shared: Record<string, unknown> = {};
  const config = scheduler.config as unknown as Record<string, unknown>;
  for (const field of COMMON_FIELDS) shared[field.key] = config[field.key];
  if (kind === 'ddpm') {
    return scheduler instanceof DdpmScheduler
      ? DdpmScheduler.fromConfig(scheduler.config)
      : new DdpmScheduler(shared);
  }
  return scheduler instanceof DdimScheduler
    ? DdimScheduler.fromConfig(scheduler.config)
    : new DdimScheduler(shared);
}
