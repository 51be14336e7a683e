import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** The names among `names` that `dir` lacks, so one error can list every missing part at once. */
export async function missingEntries(dir: string, names: Iterable<string>): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    try {
      await access(join(dir, name));
    } catch {
      missing.push(name);
    }
  }
  return missing;
}
