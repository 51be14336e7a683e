/** Padding of one spatial axis: symmetric `n`, 'same', 'valid', or [before, after]. */
export type AxisPadding = number | 'same' | 'valid' | [number, number];

/** tfjs's padding for NHWC from per-axis paddings: 'same'/'valid' when uniform, else explicit. */
export function toTfjsPadding(
  height: AxisPadding,
  width: AxisPadding,
): 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  if (height === width && (height === 'same' || height === 'valid')) return height;
  const pair = (p: AxisPadding): [number, number] => {
    if (p === 'valid') return [0, 0];
    if (p === 'same') throw new Error("padding 'same' must apply to both axes");
    return typeof p === 'number' ? [p, p] : p;
  };
  // A 1-D 'same' conv pads only the width axis, whose height is 1.
  if (width === 'same' && height === 0) return 'same';
  return [[0, 0], pair(height), pair(width), [0, 0]];
}
