import { readFile } from 'node:fs/promises';
import { CliUsageError } from './cli-error';

/**
 * Reads a `--config` file: a JSON object of `what` fields (flags override them later). A file
 * that is missing, not JSON or not an object is one usage error naming it.
 */
export async function readConfigFile<T>(path: string, what: string): Promise<Partial<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliUsageError(`${path}: cannot read (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`${path}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliUsageError(`${path}: expected a JSON object of ${what} fields`);
  }
  return value as Partial<T>;
}
