import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main';

/** Runs the CLI in-process and captures what it writes. */
async function runCli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'pgen', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('pgen CLI', () => {
  it('backends --json reports every backend and a passing health check for the available ones', async () => {
    const { code, stdout } = await runCli('backends', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      auto: string;
      backends: { name: string; available: boolean; health?: { ok: boolean } }[];
    };
    expect(report.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    const available = report.backends.filter((b) => b.available);
    expect(available.map((b) => b.name)).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    for (const b of available) expect(b.health?.ok).toBe(true);
    expect(available.map((b) => b.name)).toContain(report.auto);
  });

  it('backends prints a table naming the auto choice', async () => {
    const { code, stdout } = await runCli('backends');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend\s+status\s+device\s+health check/);
    expect(stdout).toMatch(/^wasm\s+available\s+WebAssembly/m);
    expect(stdout).toMatch(/auto selects: \w+/);
  });

  it('an unknown command exits 2', async () => {
    const { code, stderr } = await runCli('no-such-command');
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command 'no-such-command'/);
  });

  it('--help lists the commands and exits 0', async () => {
    const { code, stdout } = await runCli('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/backends/);
  });
});
