import type { TopLevelSpec } from 'vega-lite';

/** One model in a plot: the set it belongs to ("zoo", "generated", "noise σ=0.05") and its scores. */
export interface PlotPoint {
  set: string;
  accuracy: number;
  /** Highest IoU of its wrong set with any zoo model; absent for zoo models in the histogram. */
  maxIou?: number;
}

const WIDTH = 480;
const HEIGHT = 300;
/** Height of one set's histogram row. */
const ROW_HEIGHT = 70;

/**
 * Sans-serif families in order of preference. The renderer takes the first one installed;
 * naming several keeps the plots sans-serif on Linux (DejaVu, Liberation), macOS and Windows,
 * where a bare `sans-serif` may map to whatever font the system lists first. Names are
 * unquoted (valid CSS) because resvg skips quoted names in a list.
 */
const FONT = 'Helvetica, Arial, DejaVu Sans, Liberation Sans, Noto Sans, sans-serif';

/** Order of sets in legends and rows: as they first appear (zoo, generated, noise levels). */
function setOrder(points: readonly PlotPoint[]): string[] {
  return [...new Set(points.map((p) => p.set))];
}

/** Axis titles, exported so tests can look for them in the rendered SVG. */
export const AXIS_TITLES = {
  accuracy: 'Test accuracy',
  count: 'Models',
  maxIou: 'Max IoU of wrong predictions with the zoo',
} as const;

/**
 * Histogram of test accuracy, one row per set on a shared accuracy axis: overlaid histograms
 * of five sets are unreadable, while stacked rows show at a glance whether generated weights
 * reach the zoo's range and where each noise level falls.
 */
export function accuracyHistogramSpec(points: readonly PlotPoint[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: ROW_HEIGHT,
    background: 'white',
    config: { font: FONT },
    data: { values: points.map((p) => ({ set: p.set, accuracy: p.accuracy })) },
    mark: { type: 'bar', binSpacing: 1 },
    encoding: {
      x: {
        field: 'accuracy',
        type: 'quantitative',
        bin: { maxbins: 30 },
        title: AXIS_TITLES.accuracy,
        axis: { format: '.2%' },
      },
      y: { aggregate: 'count', type: 'quantitative', title: AXIS_TITLES.count },
      row: {
        field: 'set',
        type: 'nominal',
        sort: setOrder(points),
        title: null,
        header: { labelAngle: 0, labelAlign: 'left' },
      },
      color: {
        field: 'set',
        type: 'nominal',
        scale: { domain: setOrder(points) },
        legend: null,
      },
    },
  };
}

/**
 * Accuracy against max IoU with the zoo, one point per model. p-diff's memorisation check:
 * good generated models far to the left (low IoU) are new; those at IoU ≈ 1 are copies.
 */
export function accuracyVsMaxIouSpec(points: readonly PlotPoint[], title: string): TopLevelSpec {
  // The colour domain holds every set, zoo included, so a set has the same colour here as in
  // the histogram; the legend lists only the sets that have points.
  const plotted = setOrder(points.filter((p) => p.maxIou !== undefined));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: FONT },
    data: {
      values: points
        .filter((p) => p.maxIou !== undefined)
        .map((p) => ({ set: p.set, accuracy: p.accuracy, maxIou: p.maxIou })),
    },
    mark: { type: 'point', filled: true, opacity: 0.7, size: 40 },
    encoding: {
      x: {
        field: 'maxIou',
        type: 'quantitative',
        scale: { zero: false },
        title: AXIS_TITLES.maxIou,
      },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        scale: { zero: false },
        title: AXIS_TITLES.accuracy,
        axis: { format: '.2%' },
      },
      color: {
        field: 'set',
        type: 'nominal',
        title: 'Set',
        scale: { domain: setOrder(points) },
        legend: { values: plotted },
      },
      shape: {
        field: 'set',
        type: 'nominal',
        title: 'Set',
        scale: { domain: setOrder(points) },
        legend: { values: plotted },
      },
    },
  };
}
