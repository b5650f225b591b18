// The latent map's labels for any dataset, not only MNIST's digits: which labels a map has, the colour of each, and
// what to call them. Same colours and same rule as the `bottleneck latent` PNG (labelLegend in src-main/ml/latent.ts),
// so the app and the CLI colour a dataset alike.

/**
 * matplotlib's tab10, as in the Keras blog's scatter and the `bottleneck latent` PNG, so the app, the CLI and the
 * blog's figure colour MNIST's digits alike: digit n gets colour n.
 */
const LABEL_COLOURS = [
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
] as const

/** tab20's lighter partners of tab10's colours, in tab10's order. */
const LIGHTER_COLOURS = [
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
] as const

/**
 * tab10, then its lighter partners: twenty colours, about as many as an eye tells apart among dense dots. More labels
 * than that share colours.
 */
export const LABEL_PALETTE: readonly string[] = [...LABEL_COLOURS, ...LIGHTER_COLOURS]

export interface LabelLegend {
  /** The distinct labels of the map, ascending. */
  labels: number[]
  /** The colour of each of `labels`. */
  colours: string[]
  /** There are more labels than colours, so some labels share a colour (the legend shows which). */
  coloursRepeat: boolean
}

/**
 * The labels a map has and the colour of each. By value while every label fits the palette (0–19), so MNIST's digits
 * keep tab10's colours even on a small map that happens to miss a digit; otherwise by rank among the map's labels
 * (EMNIST letters 1–26: label 1 gets the first colour), cycling through the palette when labels outnumber it. Cycling
 * rather than grouping keeps one legend entry per label, so each can still be hidden and shown on its own.
 */
export function labelLegend(labels: readonly number[]): LabelLegend {
  const distinct = [...new Set(labels)].sort((a, b) => a - b)
  const byValue = distinct.every((label) => label >= 0 && label < LABEL_PALETTE.length)
  return {
    labels: distinct,
    colours: distinct.map((label, rank) => LABEL_PALETTE[byValue ? label : rank % LABEL_PALETTE.length]!),
    coloursRepeat: distinct.length > LABEL_PALETTE.length,
  }
}

/** What a label is called: "digit" when every label is 0–9 (MNIST), else plainly "label" (EMNIST letters are 1–26). */
export function labelNoun(labels: readonly number[]): 'digit' | 'label' {
  return labels.every((label) => label >= 0 && label <= 9) ? 'digit' : 'label'
}
