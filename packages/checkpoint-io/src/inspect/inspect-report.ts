import { type CheckpointFormat, detectCheckpointFormat, readCheckpoint } from '../checkpoint';
import { type DType, dtypeSize } from '../dtype';
import { openSafetensors } from '../safetensors/reader';
import type { TensorData } from '../state-dict';
import { type TensorStats, tensorStats } from './tensor-stats';

/** One tensor's line of an inspect report. */
export interface InspectedTensor extends TensorStats {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
}

/** What `pgen inspect` shows. */
export interface InspectReport {
  path: string;
  format: CheckpointFormat;
  metadata: Record<string, string>;
  tensors: InspectedTensor[];
  totals: { tensors: number; numel: number; bytes: number };
}

function describe(name: string, t: TensorData): InspectedTensor {
  return { name, dtype: t.dtype, shape: [...t.shape], numel: t.data.length, ...tensorStats(t) };
}

/**
 * Reads a checkpoint and summarises every tensor (stats in float64). safetensors files are
 * read one tensor at a time, so inspecting a large file needs memory for one tensor only.
 */
export async function inspectCheckpoint(path: string): Promise<InspectReport> {
  const format = await detectCheckpointFormat(path);
  const tensors: InspectedTensor[] = [];
  let metadata: Record<string, string>;
  if (format === 'safetensors') {
    const file = await openSafetensors(path);
    try {
      metadata = { ...file.metadata };
      for (const name of file.names) tensors.push(describe(name, await file.readTensor(name)));
    } finally {
      await file.close();
    }
  } else {
    const checkpoint = await readCheckpoint(path);
    metadata = checkpoint.metadata;
    for (const [name, t] of checkpoint.tensors) tensors.push(describe(name, t));
  }
  const totals = { tensors: tensors.length, numel: 0, bytes: 0 };
  for (const t of tensors) {
    totals.numel += t.numel;
    totals.bytes += t.numel * dtypeSize(t.dtype);
  }
  return { path, format, metadata, tensors, totals };
}

/** The `--json` form: `{ format, metadata, tensors: { name: { dtype, shape, … } }, totals }`. */
export function inspectReportToJson(report: InspectReport): Record<string, unknown> {
  const tensors: Record<string, unknown> = {};
  for (const t of report.tensors) {
    tensors[t.name] = {
      dtype: t.dtype,
      shape: t.shape,
      numel: t.numel,
      mean: t.mean,
      std: t.std,
      min: t.min,
      max: t.max,
    };
  }
  return { format: report.format, metadata: report.metadata, tensors, totals: report.totals };
}

function formatNumber(v: number | null): string {
  if (v === null) return '-';
  if (Number.isNaN(v)) return 'nan';
  if (v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5))
    return Number(v.toPrecision(5)).toString();
  return v.toExponential(3);
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** The text table `pgen inspect` prints. */
export function formatInspectReport(report: InspectReport): string {
  const lines = [`${report.path}`, `format: ${report.format}`];
  const meta = Object.entries(report.metadata);
  if (meta.length > 0) {
    lines.push('metadata:');
    for (const [k, v] of meta) lines.push(`  ${k}: ${v}`);
  }
  const header = ['name', 'dtype', 'shape', 'numel', 'mean', 'std', 'min', 'max'];
  const rows = report.tensors.map((t) => [
    t.name,
    t.dtype,
    `[${t.shape.join(', ')}]`,
    String(t.numel),
    formatNumber(t.mean),
    formatNumber(t.std),
    formatNumber(t.min),
    formatNumber(t.max),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, c) => (c >= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  lines.push('', render(header), render(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) lines.push(render(r));
  const { tensors, numel, bytes } = report.totals;
  lines.push('', `total: ${tensors} tensors, ${numel} parameters, ${formatBytes(bytes)}`);
  return lines.join('\n');
}
