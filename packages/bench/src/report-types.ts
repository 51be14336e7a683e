import type { AccuracySummary } from './accuracy-summary';
import type { SimilarityMetrics } from './similarity';

/** A noise baseline's row: accuracy summary and every similarity metric against the zoo. */
export type NoiseBaselineSummary = AccuracySummary & Omit<SimilarityMetrics, 'iou_oo'>;

/** One evaluated model of a report. */
export interface ModelScore {
  /** File name (generated), `#index file` (zoo) or the zoo checkpoint it was perturbed from. */
  name: string;
  accuracy: number;
  /** Highest IoU of its wrong set with any zoo model (generated and noise models). */
  max_iou?: number;
  /** Distance to the nearest zoo checkpoint in normalised parameter space. */
  nn_distance?: number;
  /** `nn_distance` ÷ the zoo's median nearest-neighbour distance. */
  nn_ratio?: number;
}

/**
 * What `evaluateZooReport` returns and writes as `report.json`. Accuracies are fractions.
 * Metrics that do not exist for the inputs (a generated set of one has no IoU within it) are
 * `null` in the JSON.
 */
export interface ZooReport {
  arch: string;
  zoo_dir: string;
  /** `null` for a zoo-only baseline report. */
  generated_dir: string | null;
  /** Images of the test split every model was evaluated on. */
  test_examples: number;
  /** Values in each normalised parameter vector. */
  parameters: number;
  zoo: AccuracySummary;
  generated: AccuracySummary | null;
  similarity: {
    iou_oo: number;
    /** Median over the zoo of each checkpoint's distance to its nearest other checkpoint. */
    zoo_nn_distance_median: number;
  } & Partial<Omit<SimilarityMetrics, 'iou_oo'>>;
  /** Keyed by σ as written in the options (`"0.01"`). */
  noise_baselines: Record<string, NoiseBaselineSummary>;
  models: {
    zoo: ModelScore[];
    generated: ModelScore[];
    noise: Record<string, ModelScore[]>;
  };
  seed: number;
  backend: string;
  /** Wall-clock seconds per phase; informative only. */
  seconds: Record<string, number>;
}

/** `report.json`'s text: non-finite numbers (an undefined mean) become `null`. */
export function reportToJson(report: ZooReport): string {
  return `${JSON.stringify(
    report,
    (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  )}\n`;
}
