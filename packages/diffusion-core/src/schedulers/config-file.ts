import { SchedulerConfigError } from '../errors';

/** The file a scheduler's config is saved to inside a folder, as diffusers names it. */
export const SCHEDULER_CONFIG_NAME = 'scheduler_config.json';

/**
 * Writes `json` to `<dir>/scheduler_config.json`, creating `dir` if needed. The file is
 * written beside its final name and renamed into place, so a crash never leaves half a config.
 * Returns the file's path. Node only (the fs module is loaded on first use, so importing this
 * package in a browser still works).
 */
export async function writeSchedulerConfig(
  dir: string,
  json: Record<string, unknown>,
): Promise<string> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, SCHEDULER_CONFIG_NAME);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, 'utf8');
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  return file;
}

/**
 * Reads a scheduler config: `location` is a folder holding `scheduler_config.json` (as
 * diffusers saves it) or the path of a `.json` file. Returns the parsed object and the file it
 * came from; a missing file or bad JSON is a {@link SchedulerConfigError} naming the file.
 */
export async function readSchedulerConfig(
  location: string,
): Promise<{ json: unknown; file: string }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const file = location.endsWith('.json') ? location : path.join(location, SCHEDULER_CONFIG_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SchedulerConfigError(`cannot read scheduler config ${file}: ${why}`);
  }
  try {
    return { json: JSON.parse(text), file };
  } catch (error) {
    throw new SchedulerConfigError(
      `scheduler config ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}
