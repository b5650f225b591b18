// The latent map's labels for any dataset, not only MNIST's digits: the colour of each (the same rule and palette as
// the `bottleneck latent` PNG, from the contract's latent-labels module) and what to call them.
import { LABEL_PALETTE, labelLegend as paletteLegend } from '@contract'

export { LABEL_PALETTE }

export interface LabelLegend {
  /** The distinct labels of the map, ascending. */
  labels: number[]
  /** The CSS colour of each of `labels`. */
  colours: string[]
  /** There are more labels than colours, so some labels share a colour (the legend shows which). */
  coloursRepeat: boolean
}

/** The labels a map has and the colour of each, as CSS colours (the rule: the contract's labelLegend). */
export function labelLegend(labels: readonly number[]): LabelLegend {
  const legend = paletteLegend(labels)
  return { ...legend, colours: legend.colours.map((index) => LABEL_PALETTE[index]!) }
}

/** What a label is called: "digit" when every label is 0–9 (MNIST), else plainly "label" (EMNIST letters are 1–26). */
export function labelNoun(labels: readonly number[]): 'digit' | 'label' {
  return labels.every((label) => label >= 0 && label <= 9) ? 'digit' : 'label'
}
