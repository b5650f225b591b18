// `bottleneck train --preset NAME`: expands a named recipe (src-main/ml/presets.ts) into the train options it
// stands for — architecture, dataset, code size, learning rate, noise, epochs, batch size — before train reads them.
// Options given on the command line win over the preset's.
import { createModelConfig } from '../../ml/architectures/index'
import { getPreset, listPresets, type Preset } from '../../ml/presets'
import { stringOption, UsageError, type OptionSpec, type Parsed } from '../args'

export const presetOptions: Record<string, OptionSpec> = {
  preset: {
    type: 'string',
    help: `Training recipe: ${listPresets().map((preset) => preset.name).join(', ')} (sets arch, code size, noise, epochs, batch size; options you give win)`,
    placeholder: 'NAME',
  },
}

/** Fills `values` from `--preset` where the user gave nothing; returns the preset, or undefined without --preset. */
export function applyPreset(values: Parsed['values']): Preset | undefined {
  const name = stringOption(values, 'preset')
  if (name === undefined) return undefined
  if (values.resume !== undefined) throw new UsageError('--preset cannot be combined with --resume; a resumed model keeps its own settings.')
  const preset = getPreset(name)
  // Train passes only code size and learning rate to the model config, so a preset may not rely on other options
  // unless they are the architecture's defaults; this keeps `--preset` honest if someone edits a preset.
  const defaults = createModelConfig(preset.architecture, [28, 28, 1])
  for (const [option, value] of Object.entries(preset.options)) {
    if (option !== 'codeSize' && option !== 'learningRate' && JSON.stringify(defaults[option]) !== JSON.stringify(value)) {
      throw new UsageError(`The preset ${preset.name} sets ${option}, which train cannot pass on; change the ${preset.architecture} defaults instead.`)
    }
  }
  const fill = (option: string, value: string | number | undefined) => {
    if (values[option] === undefined && value !== undefined) values[option] = String(value)
  }
  fill('arch', preset.architecture)
  fill('dataset', preset.dataset)
  fill('code-size', preset.options.codeSize ?? defaults.codeSize)
  fill('learning-rate', preset.options.learningRate ?? defaults.learningRate)
  fill('epochs', preset.epochs)
  fill('batch-size', preset.batchSize)
  if (preset.noise !== 'none') fill('noise', preset.noise)
  fill('name', preset.name)
  return preset
}
