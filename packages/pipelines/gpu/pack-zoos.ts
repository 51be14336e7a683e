// Packs zoos for the GPU machine: tsx gpu/pack-zoos.ts OUT_DIR ZOO_DIR...
import { basename, join } from 'node:path';
import { packZoo } from './zoo-pack';

const [outDir, ...zoos] = process.argv.slice(2);
for (const zoo of zoos) {
  const out = join(outDir!, `${basename(zoo)}.zoopack.safetensors`);
  const r = await packZoo(zoo, out);
  console.log(
    `${out}: round-trip error max ${r.maxAbsError.toExponential(2)}, RMS ${r.rmsError.toExponential(2)}; RMS per-element zoo std ${r.rmsZooStd.toExponential(2)}`,
  );
}
