import { describe, expect, it } from 'vitest';
import { AXIS_TITLES, accuracyHistogramSpec, accuracyVsMaxIouSpec } from './plot-specs';
import { renderPlot } from './render-plot';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const points = [
  { set: 'zoo', accuracy: 0.91 },
  { set: 'zoo', accuracy: 0.93 },
  { set: 'generated', accuracy: 0.92, maxIou: 0.6 },
  { set: 'noise σ=0.01', accuracy: 0.93, maxIou: 0.97 },
];

describe('plots', () => {
  it('renders the accuracy histogram to SVG with its axis titles and to PNG', async () => {
    const { svg, png } = await renderPlot(accuracyHistogramSpec(points, 'mlp: zoo vs generated'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(AXIS_TITLES.accuracy);
    expect(svg).toContain(AXIS_TITLES.count);
    expect(svg).toContain('mlp: zoo vs generated');
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it('renders accuracy against max IoU, only for models that have one', async () => {
    const spec = accuracyVsMaxIouSpec(points, 'mlp: memorisation');
    expect((spec.data as { values: unknown[] }).values).toHaveLength(2);
    const { svg, png } = await renderPlot(spec);
    expect(svg).toContain(AXIS_TITLES.maxIou);
    expect(svg).toContain(AXIS_TITLES.accuracy);
    expect(svg).toContain('noise σ=0.01');
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // PNG width is in bytes 16..19 (IHDR); the default scale doubles the SVG's width.
    const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
    const svgWidth = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    expect(width).toBe(Math.round(svgWidth * 2));
  });
});
