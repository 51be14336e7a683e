import { readFile } from 'node:fs/promises';
import { CondPdiffError } from './cond-pdiff-error';

/**
 * Reads a list of rotation angles in degrees: one number per line (commas also separate),
 * `#` starts a comment, blank lines are skipped. A bad entry is one error naming the file and
 * line; duplicates are refused, since a held-out list with a repeat is usually a typo.
 */
export async function readAngleList(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CondPdiffError(`${path}: cannot read the angle list (${(error as Error).message})`);
  }
  const angles: number[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const body = line.replace(/#.*/, '').trim();
    if (body === '') continue;
    for (const part of body.split(',')) {
      const word = part.trim();
      if (word === '') continue;
      const angle = Number(word);
      if (!Number.isFinite(angle)) {
        throw new CondPdiffError(`${path}:${i + 1}: "${word}" is not an angle in degrees`);
      }
      if (angles.includes(angle)) {
        throw new CondPdiffError(`${path}:${i + 1}: angle ${angle} is listed twice`);
      }
      angles.push(angle);
    }
  }
  if (angles.length === 0) throw new CondPdiffError(`${path}: lists no angles`);
  return angles;
}
