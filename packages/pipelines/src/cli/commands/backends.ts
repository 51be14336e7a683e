import { type ProbeReport, probeBackends } from '@pgen/backends';
import type { Command } from 'commander';

export function registerBackendsCommand(program: Command): void {
  program
    .command('backends')
    .description(
      'List the tfjs backends available on this machine (tensorflow, webgpu, wasm, cpu), each with its device and a health check: a small matmul compared with a float64 reference.',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await probeBackends();
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : formatProbeReport(report),
      );
      const broken = report.backends.filter((b) => b.health && !b.health.ok);
      if (broken.length > 0) {
        throw Object.assign(
          new Error(`health check failed on ${broken.map((b) => b.name).join(', ')}`),
          { userFacing: true },
        );
      }
    });
}

/** The table `pgen backends` prints. */
export function formatProbeReport(report: ProbeReport): string {
  const rows = report.backends.map((b) => {
    if (!b.available || !b.info || !b.health) {
      return [b.name, 'unavailable', b.reason ?? '', ''];
    }
    const h = b.health;
    const verdict = `${h.check} vs float64: max rel err ${h.maxRelativeError.toExponential(1)} ${h.ok ? 'ok' : 'FAILED'} (${h.milliseconds.toFixed(1)} ms)`;
    return [b.name, b.info.software ? 'available (software)' : 'available', b.info.device, verdict];
  });
  const header = ['backend', 'status', 'device', 'health check'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n\nauto selects: ${report.auto}\n`;
}
