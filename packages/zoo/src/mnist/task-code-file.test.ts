import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@pgen/nn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTaskCodes } from './binary-task';
import { readTaskCodes } from './task-code-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgen-codes-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readTaskCodes', () => {
  it('reads one code per line, skipping blanks and comments', async () => {
    const file = join(dir, 'ok.txt');
    await writeFile(file, '# held out\n0100010111\n\n1000000001  # a comment\n');
    expect(await readTaskCodes(file)).toEqual(['0100010111', '1000000001']);
  });

  it('names the file and line of a bad or repeated code, and a missing file', async () => {
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '0100010111\n01000101\n');
    await expect(readTaskCodes(bad)).rejects.toThrow(/bad\.txt:2: "01000101" is not a 10-bit/);
    const twice = join(dir, 'twice.txt');
    await writeFile(twice, '0100010111\n0100010111\n');
    await expect(readTaskCodes(twice)).rejects.toThrow(
      /twice\.txt:2: task code 0100010111 is repeated/,
    );
    await expect(readTaskCodes(join(dir, 'none.txt'))).rejects.toThrow(/none\.txt: cannot read/);
  });
});

describe('randomTaskCodes', () => {
  it('never draws an excluded code', () => {
    const exclude = new Set(randomTaskCodes(500, new Rng(1)));
    const drawn = randomTaskCodes(500, new Rng(2), exclude);
    expect(drawn).toHaveLength(500);
    expect(drawn.filter((c) => exclude.has(c))).toEqual([]);
    expect(() => randomTaskCodes(600, new Rng(3), exclude)).toThrow(/at most 522/);
  });
});
