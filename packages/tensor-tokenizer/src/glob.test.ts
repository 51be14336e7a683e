import { describe, expect, it } from 'vitest';
import { compileGlobs, globToRegExp } from './glob';

describe('globToRegExp', () => {
  it('matches * inside one dotted segment only', () => {
    expect(globToRegExp('layer*.weight').test('layer1.weight')).toBe(true);
    expect(globToRegExp('layer*.weight').test('layer1.0.weight')).toBe(false);
  });

  it('matches ** across segments, and a leading **. also at the root', () => {
    const re = globToRegExp('**.running_var');
    expect(re.test('layer1.0.bn1.running_var')).toBe(true);
    expect(re.test('running_var')).toBe(true);
    expect(re.test('bn.running_var_old')).toBe(false);
    expect(globToRegExp('blocks.**').test('blocks.3.attn.qkv.weight')).toBe(true);
  });

  it('treats ? as one non-dot character and other characters literally', () => {
    expect(globToRegExp('fc?.bias').test('fc1.bias')).toBe(true);
    expect(globToRegExp('fc?.bias').test('fc.bias')).toBe(false);
    expect(globToRegExp('a+b.(c)').test('a+b.(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('compileGlobs matches any pattern', () => {
    const match = compileGlobs(['fc.*', '**.bias']);
    expect(['fc.weight', 'conv.bias', 'conv.weight'].map(match)).toEqual([true, true, false]);
    expect(compileGlobs([])('anything')).toBe(false);
  });
});
