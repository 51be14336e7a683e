import { ZooError } from '../errors';
import { MNIST_PIXELS, MNIST_SIDE, type MnistData } from './mnist-data';

/** The rotation centre: the middle of the 28×28 grid, between pixels 13 and 14. */
const CENTRE = (MNIST_SIDE - 1) / 2;

/** cos/sin of `degrees`, exact (0, ±1) at multiples of 90° so those rotations move pixels exactly. */
function cosSin(degrees: number): [number, number] {
  const radians = (degrees * Math.PI) / 180;
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  return [snap(Math.cos(radians)), snap(Math.sin(radians))];
}

/**
 * The same digits rotated counter-clockwise (as seen on screen, rows going down) by `degrees`
 * about the image centre (13.5, 13.5), with bilinear interpolation and zero (background) outside
 * the source image; labels are unchanged and copied. Every output pixel samples the source at
 * its position rotated back by `degrees`, so 90° is an exact transpose-then-flip (numpy's
 * `rot90`) and 0° an exact copy.
 */
export function rotateMnist(data: MnistData, degrees: number): MnistData {
  if (!Number.isFinite(degrees)) throw new ZooError(`rotateMnist: angle ${degrees} is not finite`);
  const [cos, sin] = cosSin(degrees);
  const side = MNIST_SIDE;
  // For each output pixel, its source position (row, column) and bilinear taps, computed once.
  const taps: { index: number; weight: number }[][] = [];
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const dx = c - CENTRE;
      const dy = r - CENTRE;
      const sc = CENTRE + dx * cos - dy * sin;
      const sr = CENTRE + dx * sin + dy * cos;
      const c0 = Math.floor(sc);
      const r0 = Math.floor(sr);
      const fc = sc - c0;
      const fr = sr - r0;
      const pixel: { index: number; weight: number }[] = [];
      for (const [rr, wr] of [
        [r0, 1 - fr],
        [r0 + 1, fr],
      ] as const) {
        for (const [cc, wc] of [
          [c0, 1 - fc],
          [c0 + 1, fc],
        ] as const) {
          const weight = wr * wc;
          if (weight > 0 && rr >= 0 && rr < side && cc >= 0 && cc < side) {
            pixel.push({ index: rr * side + cc, weight });
          }
        }
      }
      taps.push(pixel);
    }
  }
  const images = new Float32Array(data.count * MNIST_PIXELS);
  for (let n = 0; n < data.count; n++) {
    const offset = n * MNIST_PIXELS;
    for (let p = 0; p < MNIST_PIXELS; p++) {
      let sum = 0;
      for (const { index, weight } of taps[p]!) sum += weight * data.images[offset + index]!;
      images[offset + p] = sum;
    }
  }
  return { images, labels: Int32Array.from(data.labels), count: data.count };
}
