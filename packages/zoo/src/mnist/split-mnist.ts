import { Rng } from '@pgen/nn';
import { ZooError } from '../errors';
import { loadMnist } from './load-mnist';
import { type MnistData, selectMnist } from './mnist-data';

export interface SplitMnistOptions {
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Images in the train split (default 8,000 of 10,000); the rest is the test split. */
  trainCount?: number;
}

/**
 * A deterministic, stratified train/test split. Each class's images are shuffled with
 * `Rng(seed)` (classes in label order) and the class contributes round(trainCount · its share)
 * of them to train, the largest remainders adjusting so the totals are exact; so every class
 * keeps its share of the data in both splits. Each split is then ordered by a second seeded
 * shuffle, so consecutive images are not all of one class.
 */
export function splitMnist(
  data: MnistData,
  options: SplitMnistOptions = {},
): { train: MnistData; test: MnistData } {
  const seed = options.seed ?? 0;
  const trainCount = options.trainCount ?? Math.round(data.count * 0.8);
  if (!Number.isInteger(trainCount) || trainCount <= 0 || trainCount >= data.count) {
    throw new ZooError(
      `splitMnist: trainCount must be an integer in (0, ${data.count}), got ${trainCount}`,
    );
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < data.count; i++) {
    const label = data.labels[i]!;
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const rng = new Rng(seed);
  // Largest-remainder apportionment: exact totals, each class within one image of its share.
  const quotas = classes.map((c) => (byClass.get(c)!.length * trainCount) / data.count);
  const take = quotas.map(Math.floor);
  let missing = trainCount - take.reduce((a, b) => a + b, 0);
  const byRemainder = quotas
    .map((q, i) => ({ i, r: q - Math.floor(q) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing-- <= 0) break;
    take[i]!++;
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((c, k) => {
    const indices = byClass.get(c)!;
    rng.shuffle(indices);
    train.push(...indices.slice(0, take[k]));
    test.push(...indices.slice(take[k]));
  });
  rng.shuffle(train);
  rng.shuffle(test);
  return { train: selectMnist(data, train), test: selectMnist(data, test) };
}

/** `loadMnist()` then `splitMnist()`: the 8,000/2,000 split every zoo is trained and tested on. */
export async function loadMnistSplits(
  options: { seed?: number } = {},
): Promise<{ train: MnistData; test: MnistData }> {
  return splitMnist(await loadMnist(), { seed: options.seed ?? 0 });
}
