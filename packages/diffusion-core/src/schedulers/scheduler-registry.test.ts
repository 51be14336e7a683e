import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerConfigError } from '../errors';
import { createGenerator } from '../random/generator';
import { SCHEDULER_CONFIG_NAME } from './config-file';
import { DdimScheduler } from './ddim-scheduler';
import { DdpmScheduler } from './ddpm-scheduler';
import { convertScheduler, loadScheduler, schedulerFromConfig } from './scheduler-registry';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'pgen-diffusion-core-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stepValues(s: DdpmScheduler | DdimScheduler, t: number): Promise<Float32Array> {
  const sample = createGenerator(1).randn([2, 5]);
  const output = createGenerator(2).randn([2, 5]);
  const out =
    s instanceof DdimScheduler
      ? s.step(output, t, sample, createGenerator(3), { eta: 0.7 })
      : s.step(output, t, sample, createGenerator(3));
  const values = (await out.prevSample.data()) as Float32Array;
  for (const x of [sample, output, out.prevSample, out.predOriginalSample]) x.dispose();
  return values;
}

describe('scheduler configs', () => {
  it('save/load of a DDPM config reproduces identical step outputs', async () => {
    const original = new DdpmScheduler({
      betaSchedule: 'squaredcos_cap_v2',
      predictionType: 'v_prediction',
      varianceType: 'fixed_large',
      clipSample: true,
      clipSampleRange: 2,
    });
    original.setTimesteps(20);
    const file = await original.save(join(dir, 'ddpm'));
    expect(file).toBe(join(dir, 'ddpm', SCHEDULER_CONFIG_NAME));
    const json = JSON.parse(await readFile(file, 'utf8'));
    expect(json._class_name).toBe('DDPMScheduler');
    expect(json.beta_schedule).toBe('squaredcos_cap_v2');
    expect(json.variance_type).toBe('fixed_large');
    const loaded = await DdpmScheduler.load(join(dir, 'ddpm'));
    expect(loaded.config).toEqual(original.config);
    loaded.setTimesteps(20);
    expect(await stepValues(loaded, 950)).toEqual(await stepValues(original, 950));
  });

  it('save/load of a DDIM config reproduces identical step outputs', async () => {
    const original = new DdimScheduler({
      timestepSpacing: 'trailing',
      setAlphaToOne: false,
      betaSchedule: 'scaled_linear',
      betaStart: 0.00085,
      betaEnd: 0.012,
    });
    await original.save(join(dir, 'ddim'));
    const loaded = await loadScheduler(join(dir, 'ddim', SCHEDULER_CONFIG_NAME));
    expect(loaded).toBeInstanceOf(DdimScheduler);
    original.setTimesteps(25);
    loaded.setTimesteps(25);
    expect(Array.from(loaded.timesteps)).toEqual(Array.from(original.timesteps));
    expect(await stepValues(loaded, 999)).toEqual(await stepValues(original, 999));
  });

  it('reads diffusers’ own JSON: metadata keys and inert options are accepted', () => {
    // The scheduler_config.json diffusers 0.30 writes for a default DDPMScheduler.
    const diffusersJson = {
      _class_name: 'DDPMScheduler',
      _diffusers_version: '0.30.0',
      beta_end: 0.02,
      beta_schedule: 'linear',
      beta_start: 0.0001,
      clip_sample: true,
      clip_sample_range: 1.0,
      dynamic_thresholding_ratio: 0.995,
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      rescale_betas_zero_snr: false,
      sample_max_value: 1.0,
      steps_offset: 0,
      thresholding: false,
      timestep_spacing: 'leading',
      trained_betas: null,
      variance_type: 'fixed_small',
    };
    const scheduler = schedulerFromConfig(diffusersJson);
    expect(scheduler).toBeInstanceOf(DdpmScheduler);
    expect(scheduler.config.clipSample).toBe(true);
    // Round trip: toJSON holds every key fromConfig needs.
    expect(DdpmScheduler.fromConfig(scheduler.toJSON()).config).toEqual(scheduler.config);
    // The camelCase config is accepted too.
    expect(DdpmScheduler.fromConfig(scheduler.config).config).toEqual(scheduler.config);
  });

  it('names the problem for unknown keys, bad values and unsupported options', () => {
    expect(() => DdimScheduler.fromConfig({ num_train_timestep: 10 })).toThrow(
      /DDIMScheduler config: unknown key "num_train_timestep"/,
    );
    expect(() => DdimScheduler.fromConfig({ beta_end: 'high' })).toThrow(
      /beta_end must be a number in \(0, 1\), got "high"/,
    );
    expect(() => DdimScheduler.fromConfig({ timestep_spacing: 'middle' })).toThrow(
      /timestep_spacing must be one of leading, linspace, trailing/,
    );
    expect(() => DdpmScheduler.fromConfig({ thresholding: true })).toThrow(
      /dynamic thresholding .* not implemented/,
    );
    expect(() => DdpmScheduler.fromConfig({ rescale_betas_zero_snr: true })).toThrow(
      SchedulerConfigError,
    );
    expect(() => DdpmScheduler.fromConfig({ _class_name: 'DDIMScheduler' })).toThrow(
      /the config is for "DDIMScheduler", not DDPMScheduler/,
    );
    expect(() => DdpmScheduler.fromConfig({ beta_start: 0.001, betaStart: 0.002 })).toThrow(
      /same key/,
    );
    expect(() => DdpmScheduler.fromConfig([1, 2])).toThrow(/expected a JSON object/);
    expect(() => schedulerFromConfig({ _class_name: 'PNDMScheduler' })).toThrow(
      /_class_name "PNDMScheduler"/,
    );
    expect(() => new DdimScheduler({ stepsOffset: -1 } as never)).toThrow(
      /steps_offset|stepsOffset/,
    );
  });

  it('reports missing and corrupt files by name', async () => {
    await expect(DdpmScheduler.load(join(dir, 'nowhere'))).rejects.toThrow(
      `cannot read scheduler config ${join(dir, 'nowhere', SCHEDULER_CONFIG_NAME)}: no such file`,
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"_class_name": "DDPMScheduler",');
    await expect(loadScheduler(bad)).rejects.toThrow(`scheduler config ${bad} is not valid JSON`);
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ _class_name: 'DDPMScheduler', beta_start: 2 }));
    await expect(loadScheduler(wrong)).rejects.toThrow(`(${wrong}): beta_start must be`);
  });

  it('converts between DDPM and DDIM keeping the shared settings', () => {
    const ddpm = new DdpmScheduler({
      predictionType: 'sample',
      betaEnd: 0.03,
      varianceType: 'fixed_large',
    });
    const ddim = convertScheduler(ddpm, 'ddim');
    expect(ddim).toBeInstanceOf(DdimScheduler);
    expect(ddim.config.predictionType).toBe('sample');
    expect(Array.from(ddim.alphasCumprod)).toEqual(Array.from(ddpm.alphasCumprod));
    const back = convertScheduler(ddim, 'ddpm');
    expect(back.config).toEqual({ ...ddpm.config, varianceType: 'fixed_small' });
    expect(convertScheduler(ddpm, 'ddpm')).not.toBe(ddpm);
  });
});
