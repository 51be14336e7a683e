import { readFile } from 'node:fs/promises';
import { ZooError } from '../errors';
import { MNIST_CLASSES } from './mnist-data';

/**
 * Reads a file of 10-bit task codes, one per line; blank lines and `#` comments are skipped.
 * A missing file, a malformed code or a repeated one is one error naming the file and line.
 */
export async function readTaskCodes(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ZooError(`${path}: cannot read task codes (${(error as Error).message})`);
  }
  const codes: string[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (!new RegExp(`^[01]{${MNIST_CLASSES}}$`).test(line)) {
      throw new ZooError(`${path}:${i + 1}: "${line}" is not a ${MNIST_CLASSES}-bit task code`);
    }
    if (seen.has(line)) throw new ZooError(`${path}:${i + 1}: task code ${line} is repeated`);
    seen.add(line);
    codes.push(line);
  }
  if (codes.length === 0) throw new ZooError(`${path}: holds no task codes`);
  return codes;
}
