import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_RPG_CONFIG } from './demo';

describe('pgen demo', () => {
  it('runs the config that configs/rpg-demo.json publishes (the ablation reuses that file)', () => {
    const path = fileURLToPath(new URL('../../../../../configs/rpg-demo.json', import.meta.url));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(DEMO_RPG_CONFIG);
  });
});
