/**
 * Colours and line styles shared by every report chart and table. Glucose ranges use the
 * consensus colours (the AGP report's, so clinicians read them at a glance); models are told apart by dash pattern as well as colour,
 * so a greyscale print still reads.
 */
export const RANGE_COLORS = {
  veryLow: '#8b1a1a',
  low: '#e03131',
  inRange: '#2f9e44',
  high: '#f2a900',
  veryHigh: '#e8590c',
} as const;

export const TARGET_BAND_FILL = '#2f9e44';
export const TARGET_BAND_OPACITY = 0.1;

export interface SeriesStyle {
  color: string;
  dash?: string;
  width: number;
}

/** The model under test first (solid), then baselines with distinct dashes. */
const MODEL_STYLES: readonly SeriesStyle[] = [
  { color: '#1c4e80', width: 2 },
  { color: '#7a7a7a', dash: '6 3', width: 1.6 },
  { color: '#a0522d', dash: '2 2', width: 1.6 },
  { color: '#6a3d9a', dash: '8 3 2 3', width: 1.6 },
  { color: '#0f8a8a', dash: '12 4', width: 1.6 },
  { color: '#b8860b', dash: '1 3', width: 1.8 },
];

export function modelStyle(index: number): SeriesStyle {
  return MODEL_STYLES[index % MODEL_STYLES.length]!;
}

/** Forecast charts: history solid, actual future dotted, forecast dashed-free with its band. */
export const FORECAST_STYLE = {
  history: { color: '#333333', width: 1.5 },
  actual: { color: '#333333', width: 1.8, dash: '1.5 2.5' },
  forecast: { color: '#1c4e80', width: 2 },
  band: '#1c4e80',
  origin: { color: '#888888', width: 1, dash: '3 3' },
} as const;
