// Plumage's own default avatar, drawn as pixels: a head and shoulders on grey, in the spirit
// of Twitter's post-2017 silhouette but our own artwork. Drawing it here rather than from an
// SVG keeps the SVG loader blocked for good (see transform.ts), so untrusted SVG can never
// reach librsvg, whatever a caller does.

const BACKGROUND = [0xaa, 0xb8, 0xc2] as const;
const FIGURE = [0xe1, 0xe8, 0xed] as const;
/** Subsamples per axis and pixel: smooth edges without a rasteriser. */
const SUPERSAMPLING = 4;

/** Shapes in a 400×400 design space: a round head and a dome of shoulders cut by the bottom edge. */
function insideFigure(u: number, v: number): boolean {
  const head = (u - 200) ** 2 + (v - 158) ** 2 <= 78 ** 2;
  const shoulders = ((u - 200) / 142) ** 2 + ((v - 400) / 146) ** 2 <= 1;
  return head || shoulders;
}

/** RGB pixels, `size` × `size`, row-major. */
export function drawDefaultAvatar(size: number): { data: Buffer; width: number; height: number; channels: 3 } {
  const data = Buffer.alloc(size * size * 3);
  const step = 400 / size / SUPERSAMPLING;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy++) {
        for (let sx = 0; sx < SUPERSAMPLING; sx++) {
          const u = (x * SUPERSAMPLING + sx + 0.5) * step;
          const v = (y * SUPERSAMPLING + sy + 0.5) * step;
          if (insideFigure(u, v)) hits++;
        }
      }
      const coverage = hits / SUPERSAMPLING ** 2;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        data[i + c] = Math.round(BACKGROUND[c]! + (FIGURE[c]! - BACKGROUND[c]!) * coverage);
      }
    }
  }
  return { data, width: size, height: size, channels: 3 };
}
