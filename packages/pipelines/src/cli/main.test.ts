import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './test-support';

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

describe('pgen inspect and convert', () => {
  const fixtures = path.resolve(__dirname, '../../../../../shared/fixtures/torch');

  it('inspect --json reports a nested .pth with dotted names and safetensors dtype names', async () => {
    const { code, stdout } = await runCli(
      'inspect',
      path.join(fixtures, 'nested_checkpoint.pth'),
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      format: string;
      tensors: Record<string, { dtype: string; shape: number[]; mean: number }>;
    };
    const names = Object.keys(report.tensors);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name.startsWith('state_dict.')).toBe(true);
    for (const t of Object.values(report.tensors)) expect(t.dtype).toMatch(/^(F|I|U|BF|BOOL)/);
  });

  it('refuses malicious.pth with exit 2, one line naming the file, and runs nothing', async () => {
    const { code, stderr } = await runCli('inspect', path.join(fixtures, 'malicious.pth'));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/malicious\.pth/);
  });

  it('convert writes a safetensors file that inspect reads back, and leaves nothing on failure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pgen-cli-'));
    try {
      const out = path.join(dir, 'shufflenet.safetensors');
      const converted = await runCli('convert', path.join(fixtures, 'shufflenet_v2_x0_5.pth'), out);
      expect(converted.code).toBe(0);
      const back = await runCli('inspect', out, '--json');
      const report = JSON.parse(back.stdout) as {
        format: string;
        tensors: Record<string, unknown>;
      };
      expect(report.format).toBe('safetensors');
      expect(Object.keys(report.tensors)).toContain('conv1.0.weight');

      const bad = path.join(dir, 'bad.safetensors');
      const failed = await runCli('convert', path.join(fixtures, 'malicious.pth'), bad);
      expect(failed.code).toBe(2);
      expect(readdirSync(dir)).toEqual(['shufflenet.safetensors']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing file exits 2 with its name', async () => {
    const { code, stderr } = await runCli('inspect', '/nonexistent/model.safetensors');
    expect(code).toBe(2);
    expect(stderr).toMatch(/\/nonexistent\/model\.safetensors/);
  });
});

describe('pgen zoo lora options', () => {
  it('refuses --chain-skip without --chain, and a chain-skip file that is not there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pgen-lora-cli-'));
    try {
      const out = path.join(dir, 'zoo');
      let result = await runCli('zoo', 'lora', '--out', out, '--chain-skip', 'held-out.txt');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--chain-skip needs --chain/);
      const missing = path.join(dir, 'held-out.txt');
      result = await runCli('zoo', 'lora', '--out', out, '--chain', '--chain-skip', missing);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${missing}: cannot read the angle list`);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
