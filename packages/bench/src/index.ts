/**
 * @pgen/bench: whether generated weights are any good. Test accuracy of any state dict, and
 * zoo-vs-generated reports (accuracy summaries, p-diff's IoU of wrong predictions,
 * nearest-neighbour distances in normalised parameter space, noise baselines) written as
 * JSON, Markdown and SVG/PNG plots.
 */

/** Test accuracy of state dicts of one architecture, reusing one model. */
export {
  AccuracyEvaluator,
  type AccuracyEvaluatorOptions,
  type AccuracyResult,
  evaluateStateDictAccuracy,
} from './accuracy-evaluator';
/** Best / mean / median / min of a set of accuracies. */
export { type AccuracySummary, accuracySummary, median } from './accuracy-summary';
/** A zoo folder or a folder of `.safetensors` files, read checkpoint by checkpoint. */
export { type CheckpointSet, openCheckpointSet } from './checkpoint-set';
/** The user-facing error of bad bench input. */
export { BenchError } from './errors';
/** The report as Markdown. */
export { formatReportMarkdown, type MarkdownReportOptions, PLOT_NAMES } from './markdown-report';
/** Distances to the nearest zoo checkpoint, relative to the zoo's own spacing. */
export {
  euclideanDistance,
  type NearestNeighbourRatio,
  nearestDistances,
  nearestNeighbourRatio,
  zooNearestDistances,
} from './nearest-neighbour';
/** Zoo checkpoints plus Gaussian noise in normalised space. */
export {
  type NoisyVectors,
  type NoisyVectorsOptions,
  noisyVectors,
  sampleIndices,
} from './noise-baseline';
/** Mean IoU within and between sets of models, and each generated model's best zoo match. */
export { maxIouWithZoo, meanIouBetween, meanIouWithin } from './pairwise-iou';
/** State dicts ⇄ per-tensor z-scored parameter vectors. */
export {
  defaultParameterFilter,
  type FitNormalisationOptions,
  fitParameterNormalisation,
  normalisedParameterVector,
  normalisedParameterVectors,
  type ParameterNormalisation,
  parameterCount,
  stateDictFromVector,
  type TensorFilter,
} from './parameter-vectors';
/** Vega-Lite specs of the report's plots. */
export {
  AXIS_TITLES,
  accuracyHistogramSpec,
  accuracyVsMaxIouSpec,
  type PlotPoint,
} from './plot-specs';
/** Headless Vega-Lite → SVG → PNG. */
export { type RenderedPlot, type RenderPlotOptions, renderPlot } from './render-plot';
/** Several reports as one Markdown document (`reports/zoo-baselines.md`). */
export {
  formatReportSummary,
  type ReportLocation,
  type ReportSummaryOptions,
  writeReportSummary,
} from './report-summary';
/** The report's JSON shape. */
export {
  type ModelScore,
  type NoiseBaselineSummary,
  reportToJson,
  type ZooReport,
} from './report-types';
/** Seeded Gaussian samples. */
export { deriveSeed, type SeededGaussian, seededGaussian } from './seeded-gaussian';
/** Every similarity metric of a set against the zoo. */
export {
  type SimilarityDetails,
  type SimilarityInputs,
  type SimilarityMetrics,
  similarityMetrics,
} from './similarity';
/** Which test examples a model gets wrong, and the IoU of two such sets. */
export { iou, type WrongSet, wrongSet } from './wrong-set';
/** The whole evaluation: zoo (and generated) → report.json, report.md, plots. */
export {
  DEFAULT_NOISE_SIGMAS,
  evaluateZooReport,
  type ReportProgress,
  type ZooReportOptions,
} from './zoo-report';
