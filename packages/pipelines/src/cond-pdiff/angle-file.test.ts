import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAngleList } from './angle-file';

describe('readAngleList', () => {
  const dir = mkdtempSync(join(tmpdir(), 'angles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads numbers per line and comma lists, skipping comments', async () => {
    expect(await readAngleList(file('a.txt', '# held out\n30\n\n90, 150 # three\n'))).toEqual([
      30, 90, 150,
    ]);
  });

  it('names the file and line of a bad or repeated entry, and refuses empty or missing files', async () => {
    await expect(readAngleList(file('b.txt', '30\nninety\n'))).rejects.toThrow(
      /b\.txt:2: "ninety" is not an angle/,
    );
    await expect(readAngleList(file('c.txt', '30\n30\n'))).rejects.toThrow(/c\.txt:2: .*twice/);
    await expect(readAngleList(file('d.txt', '# nothing\n'))).rejects.toThrow(/lists no angles/);
    await expect(readAngleList(join(dir, 'missing.txt'))).rejects.toThrow(
      /missing\.txt: cannot read/,
    );
  });
});
