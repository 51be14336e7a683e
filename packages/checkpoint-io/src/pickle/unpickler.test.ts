import { describe, expect, it } from 'vitest';
import { PickleError, PickleSecurityError } from '../errors';
import { type UnpicklePolicy, unpickle } from './unpickler';

const none: UnpicklePolicy = { resolveGlobal: () => undefined };
const bytes = (...parts: (number | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(Buffer.from(p, 'latin1')))),
  );

describe('restricted unpickler', () => {
  it('builds dicts, lists, tuples, ints, floats, strings and big ints', () => {
    // {'a': [1, 2.5, 'x', None, True], 'b': (300, -2), 'c': 2**70}
    const p = bytes(
      0x80,
      2,
      '}',
      '(',
      'X',
      1,
      0,
      0,
      0,
      'a',
      ']',
      '(',
      'K',
      1,
      'G',
      0x40,
      0x04,
      0,
      0,
      0,
      0,
      0,
      0,
      'X',
      1,
      0,
      0,
      0,
      'x',
      'N',
      0x88,
      'e',
      'X',
      1,
      0,
      0,
      0,
      'b',
      'M',
      0x2c,
      0x01,
      'J',
      0xfe,
      0xff,
      0xff,
      0xff,
      0x86,
      'X',
      1,
      0,
      0,
      0,
      'c',
      0x8a,
      9,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x40,
      'u',
      '.',
    );
    const { value, end } = unpickle(p, 0, none, 'f');
    expect(end).toBe(p.length);
    expect(value).toEqual(
      new Map<string, unknown>([
        ['a', [1, 2.5, 'x', null, true]],
        ['b', [300, -2]],
        ['c', 2n ** 70n],
      ]),
    );
  });

  it('refuses a global outside the allowlist, naming it, before anything is called', () => {
    const p = bytes(0x80, 2, 'c', 'os\nsystem\n', 'X', 2, 0, 0, 0, 'ls', 0x85, 'R', '.');
    expect(() => unpickle(p, 0, none, 'evil.pth')).toThrowError(PickleSecurityError);
    expect(() => unpickle(p, 0, none, 'evil.pth')).toThrow(/evil\.pth: .*os\.system/);
  });

  it('refuses object-building opcodes such as INST and OBJ, naming them', () => {
    expect(() => unpickle(bytes('(', 'i', 'os\nsystem\n', '.'), 0, none, 'f')).toThrow(
      /opcode INST/,
    );
    expect(() => unpickle(bytes('(', 'o', '.'), 0, none, 'f')).toThrow(/opcode OBJ/);
    expect(() => unpickle(bytes(0x82, 1, '.'), 0, none, 'f')).toThrow(/opcode EXT1/);
  });

  it('refuses REDUCE on something that is not an allowed callable', () => {
    expect(() => unpickle(bytes(']', ')', 'R', '.'), 0, none, 'f')).toThrowError(
      PickleSecurityError,
    );
  });

  it('refuses persistent ids when the policy has no handler', () => {
    expect(() => unpickle(bytes('N', 'Q', '.'), 0, none, 'f')).toThrowError(PickleSecurityError);
  });

  it('reports truncation, underflow and bad memo keys as malformed pickles', () => {
    for (const p of [
      bytes(0x80, 2, 'X', 9, 0, 0, 0, 'ab'),
      bytes('t', '.'),
      bytes('h', 3, '.'),
      bytes(']', 'a', '.'),
      bytes(),
    ]) {
      const e = (() => {
        try {
          unpickle(p, 0, none, 'f');
        } catch (error) {
          return error;
        }
      })();
      expect(e).toBeInstanceOf(PickleError);
      expect(e).not.toBeInstanceOf(PickleSecurityError);
    }
  });
});
