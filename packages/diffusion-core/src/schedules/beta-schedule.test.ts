import { describe, expect, it } from 'vitest';
import { SchedulerConfigError } from '../errors';
import { alphasCumprod, betaSchedule, validateBetas } from './beta-schedule';

// Reference values computed independently in float64 with numpy (np.linspace, np.cumprod and
// the improved-DDPM cosine formula), not taken from pgen.
describe('betaSchedule', () => {
  it('linear 1e-4 → 0.02 over 1000 steps (RPG, p-diff)', () => {
    const betas = betaSchedule('linear');
    expect(betas.length).toBe(1000);
    expect(betas[0]).toBe(1e-4);
    expect(betas[999]).toBe(0.02);
    const ac = alphasCumprod(betas);
    expect(ac[0]).toBeCloseTo(0.9999, 15);
    expect(ac[499]).toBeCloseTo(0.07858724288177824, 12);
    expect(ac[999]).toBeCloseTo(4.035829765375676e-5, 15);
  });

  it('scaled_linear spaces the square roots evenly', () => {
    const betas = betaSchedule('scaled_linear', { betaStart: 0.00085, betaEnd: 0.012 });
    expect(betas[0]).toBeCloseTo(0.00085, 15);
    expect(betas[500]).toBeCloseTo(0.00481495414171188, 14);
    expect(betas[999]).toBeCloseTo(0.012, 15);
    expect(alphasCumprod(betas)[999]).toBeCloseTo(0.004660098513077238, 13);
  });

  it('squaredcos_cap_v2 follows the cosine ᾱ and caps betas at 0.999', () => {
    const betas = betaSchedule('squaredcos_cap_v2', { betaStart: 0.5, betaEnd: 0.9 });
    expect(betas[0]).toBeCloseTo(4.128422482196914e-5, 15);
    expect(betas[500]).toBeCloseTo(0.003155691441585007, 14);
    expect(betas[998]).toBeCloseTo(0.7499993929011166, 12);
    expect(betas[999]).toBe(0.999);
    expect(alphasCumprod(betas)[500]).toBeCloseTo(0.49228517244880304, 12);
    // ᾱ decreases strictly: every beta is positive.
    expect(betas.every((b) => b > 0 && b <= 0.999)).toBe(true);
  });

  it('a single-step linear schedule is just beta_start', () => {
    expect(Array.from(betaSchedule('linear', { numTrainTimesteps: 1 }))).toEqual([1e-4]);
  });

  it('rejects unknown names and out-of-range values with clear errors', () => {
    expect(() => betaSchedule('quadratic' as never)).toThrow(/unknown beta schedule "quadratic"/);
    expect(() => betaSchedule('linear', { betaEnd: 1.5 })).toThrow(SchedulerConfigError);
    expect(() => betaSchedule('linear', { betaStart: 0 })).toThrow(/betaStart must be in \(0, 1\)/);
    expect(() => betaSchedule('linear', { numTrainTimesteps: 0 })).toThrow(/positive integer/);
    expect(() => validateBetas([0.1, Number.NaN])).toThrow(/trained_betas\[1\]/);
    expect(() => validateBetas([])).toThrow(/empty/);
  });
});
