import { initBackend } from '@pgen/backends';
import { RpgPipeline } from './src/rpg/rpg-pipeline';
const [zoo, out, cfg] = process.argv.slice(2);
await initBackend({ prefer: 'wasm' });
const t0 = Date.now();
const p = await RpgPipeline.fit(zoo!, JSON.parse(cfg!), {
  onProgress: (pr) => { if (pr.step % 100 === 0) console.log(`step ${pr.step}/${pr.steps} loss ${pr.loss.toFixed(4)} eta ${pr.etaSeconds.toFixed(0)}s`); },
});
await p.save(out!);
console.log('fit seconds', (Date.now() - t0) / 1000, 'shape', p.tokenizer.shape);
