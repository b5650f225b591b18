// Colours of the latent map's digit labels: matplotlib's tab10, as in the Keras blog's scatter and the
// `bottleneck latent` PNG, so the app, the CLI and the blog's figure read the same way. Label n gets colour n mod 10.
export const LABEL_COLOURS = [
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
