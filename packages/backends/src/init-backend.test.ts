import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend, getGradient } from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUTO_ORDER,
  type BackendName,
  BackendUnavailableError,
  initBackend,
  releaseBackend,
} from './index';

afterAll(releaseBackend);

describe('initBackend', () => {
  it('starts the backend named and makes it current', async () => {
    const cpu = await initBackend({ prefer: 'cpu' });
    expect(cpu.name).toBe('cpu');
    expect(getBackend()).toBe('cpu');
    const wasm = await initBackend({ prefer: 'wasm' });
    expect(wasm).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', software: false });
    expect(getBackend()).toBe('wasm');
  });

  it('registers gradients and chained ops on import', () => {
    expect(getGradient('Conv2D')).toBeDefined();
    expect(getGradient('BatchMatMul')).toBeDefined();
  });

  it('auto takes the first usable backend in order and never a software GPU', async () => {
    const skipped: BackendName[] = [];
    const chosen = await initBackend({ onSkip: (name) => skipped.push(name) });
    expect(AUTO_ORDER).toContain(chosen.name);
    expect(skipped).toEqual(AUTO_ORDER.slice(0, AUTO_ORDER.indexOf(chosen.name)));
    if (chosen.name === 'webgpu') expect(chosen.software).toBe(false);
  });

  it('a backend asked for by name that cannot start is a typed error with the reason', async () => {
    // tfjs-node is not a dependency of this repository, so it is absent here.
    const error = await initBackend({ prefer: 'tensorflow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).reason).toMatch(/tfjs-node.* is not installed/);
  });

  it('lets Node exit after using webgpu without an explicit release', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const b = await import(${JSON.stringify(entry)});
      try { const info = await b.initBackend({ prefer: 'webgpu' }); console.log('started ' + info.device); }
      catch (e) { console.log('unavailable ' + e.message); }
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^(started|unavailable) /);
  });
});
