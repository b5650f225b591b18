// The colours of a latent map's labels and the rule that gives each label its colour: one module for the app's
// scatter (which imports it through @contract) and the `bottleneck latent` PNG (src-main/ml/latent.ts), so the two
// colour a dataset alike. Plain data and functions, no schema library.

/**
 * matplotlib's tab10 (the Keras blog's latent scatter: MNIST's digit n gets colour n), then tab20's lighter partners of
 * the same ten. Twenty is about as many as an eye tells apart among dense dots; more labels than that share colours.
 */
export const LABEL_PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
]

export interface LabelLegend {
  /** The distinct labels of the map, ascending. */
  labels: number[]
  /** For each of `labels`, its index in LABEL_PALETTE. */
  colours: number[]
  /** There are more labels than colours, so some labels share a colour (the legend shows which). */
  coloursRepeat: boolean
}

/**
 * The labels a map has and the colour of each. By value while every label fits the palette (0–19), so MNIST's digits
 * keep tab10's colours even on a small map that happens to miss a digit; otherwise by rank among the map's labels
 * (EMNIST letters 1–26: label 1 gets the first colour), cycling through the palette when labels outnumber it. Cycling
 * rather than grouping keeps one legend entry per label, so each can still be hidden and shown on its own.
 */
export function labelLegend(labels: ArrayLike<number>): LabelLegend {
  const distinct = [...new Set(Array.from(labels))].sort((a, b) => a - b)
  const byValue = distinct.every((label) => label >= 0 && label < LABEL_PALETTE.length)
  return {
    labels: distinct,
    colours: distinct.map((label, rank) => (byValue ? label : rank % LABEL_PALETTE.length)),
    coloursRepeat: distinct.length > LABEL_PALETTE.length,
  }
}
