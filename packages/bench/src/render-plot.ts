import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';

/** A plot rendered both ways. */
export interface RenderedPlot {
  svg: string;
  png: Uint8Array;
}

/** Options of `renderPlot`. */
export interface RenderPlotOptions {
  /** PNG pixels per SVG unit (default 2, sharp on high-density screens and in papers). */
  pngScale?: number;
}

/**
 * Renders a Vega-Lite spec headless: Vega draws the SVG without a canvas (renderer `none`),
 * resvg rasterises it to PNG with the system's fonts (its first system font stands in for any
 * family the SVG names that the machine lacks).
 */
export async function renderPlot(
  spec: TopLevelSpec,
  options: RenderPlotOptions = {},
): Promise<RenderedPlot> {
  // Loaded on demand: Vega is ESM-only with top-level await, which `require` cannot load, so a
  // static import would break the CommonJS build (and would load Vega for every user of the
  // metrics).
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      font: { loadSystemFonts: true },
      fitTo: { mode: 'zoom', value: options.pngScale ?? 2 },
      background: 'white',
    });
    const png = new Uint8Array(resvg.render().asPng());
    return { svg, png };
  } finally {
    view.finalize();
  }
}
