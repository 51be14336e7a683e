import { TaskEncoderError } from './errors';

/**
 * A task as RPG writes it: a string of '0'/'1' with one character per class, where character i
 * (counting from the left, 0-based) is bit i and says whether class i is in the positive set.
 * '0010000000' is "class 2 against the rest" for 10 classes. Arrays of numbers are also taken,
 * element i being bit i; they may hold soft values (any finite number), e.g. to interpolate
 * between two tasks.
 */
export type BinaryCode = string | readonly number[];

/**
 * Turns codes into one row-major Float32Array [codes.length, bits], checking each: a string
 * must have exactly `bits` characters, each '0' or '1'; an array must have `bits` finite
 * numbers.
 */
export function binaryCodesToArray(
  codes: readonly BinaryCode[],
  bits: number,
  owner = 'BinaryCodeEncoder',
): Float32Array {
  if (codes.length === 0) throw new TaskEncoderError(`${owner}: no codes to encode`);
  const out = new Float32Array(codes.length * bits);
  codes.forEach((code, row) => {
    if (code.length !== bits) {
      throw new TaskEncoderError(
        `${owner}: code ${row} (${describe(code)}) has ${code.length} bits, expected ${bits}`,
      );
    }
    for (let i = 0; i < bits; i++) {
      let bit: number;
      if (typeof code === 'string') {
        const c = code[i];
        if (c !== '0' && c !== '1') {
          throw new TaskEncoderError(
            `${owner}: code ${row} ("${code}") has "${c}" at position ${i}; only '0' and '1' are bits`,
          );
        }
        bit = c === '1' ? 1 : 0;
      } else {
        bit = code[i]!;
        if (typeof bit !== 'number' || !Number.isFinite(bit)) {
          throw new TaskEncoderError(
            `${owner}: code ${row} has a non-finite value (${String(bit)}) at position ${i}`,
          );
        }
      }
      out[row * bits + i] = bit;
    }
  });
  return out;
}

/** The code whose positive classes are `classes`: classesToCode([2], 10) is '0010000000'. */
export function classesToCode(classes: readonly number[], bits = 10): string {
  const chars = new Array<string>(bits).fill('0');
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= bits) {
      throw new TaskEncoderError(`classesToCode: class ${c} is not in [0, ${bits})`);
    }
    chars[c] = '1';
  }
  return chars.join('');
}

function describe(code: BinaryCode): string {
  return typeof code === 'string' ? `"${code}"` : `[${code.join(', ')}]`;
}
