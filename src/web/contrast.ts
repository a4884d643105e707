// WCAG 2.x contrast: relative luminance of sRGB colours and their ratio (1 to 21). Text needs
// 4.5:1 to be readable (AA); the design page warns below that.
export const READABLE_RATIO = 4.5;

function channel(v: number): number {
  const s = v / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

export function luminance(hex: string): number {
  const n = parseInt(hex, 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrastRatio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

export interface ContrastWarning {
  what: string;
  ratio: number;
}

/** The pairs a themed profile shows: text and links on the sidebar fill and on the white card. */
export function contrastWarnings(c: { link: string; sidebarFill: string; text: string }): ContrastWarning[] {
  const pairs: Array<[string, string, string]> = [
    ['Text on the sidebar', c.text, c.sidebarFill],
    ['Links on the sidebar', c.link, c.sidebarFill],
    ['Text on the profile card', c.text, 'FFFFFF'],
    ['Links on the profile card', c.link, 'FFFFFF'],
  ];
  return pairs
    .map(([what, fg, bg]) => ({ what, ratio: Math.round(contrastRatio(fg, bg) * 100) / 100 }))
    .filter((w) => w.ratio < READABLE_RATIO);
}
