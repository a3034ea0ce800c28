/** Chart colours come from the CSS variables of the current theme (styles/app.css). */
export interface ThemeColors {
  text: string;
  muted: string;
  border: string;
  panel: string;
  accent: string;
  glucose: string;
  imputed: string;
  insulin: string;
  carbs: string;
  band: string;
  gap: string;
  highlight: string;
  agpOuter: string;
  agpInner: string;
  ranges: [string, string, string, string, string];
}

export function readThemeColors(el: Element = document.documentElement): ThemeColors {
  const cs = getComputedStyle(el);
  const v = (name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1d232a'),
    muted: v('--muted', '#5d6670'),
    border: v('--border', '#d9dcdf'),
    panel: v('--panel', '#ffffff'),
    accent: v('--accent', '#1f5f99'),
    glucose: v('--chart-glucose', '#1d232a'),
    imputed: v('--chart-imputed', '#8a6bbf'),
    insulin: v('--chart-insulin', '#1f5f99'),
    carbs: v('--chart-carbs', '#b86e00'),
    band: v('--chart-band', 'rgba(46,139,87,0.12)'),
    gap: v('--chart-gap', 'rgba(128,128,128,0.12)'),
    highlight: v('--chart-highlight', 'rgba(31,95,153,0.15)'),
    agpOuter: v('--chart-agp-outer', 'rgba(31,95,153,0.18)'),
    agpInner: v('--chart-agp-inner', 'rgba(31,95,153,0.38)'),
    ranges: [
      v('--range-very-low', '#8b0000'),
      v('--range-low', '#d7263d'),
      v('--range-in', '#2e8b57'),
      v('--range-high', '#f0a202'),
      v('--range-very-high', '#e4572e'),
    ],
  };
}
