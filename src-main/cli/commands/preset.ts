// `bottleneck train --preset NAME`: expands a named recipe (src-main/ml/presets.ts) into the train options it
// stands for — architecture, dataset, code size, learning rate, noise, epochs, batch size — before train reads them.
// Options given on the command line win over the preset's.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { getPreset, listPresets, presetSettings, type Preset } from '../../ml/presets'
import { stringOption, UsageError, type OptionSpec, type Parsed } from '../args'

export const presetOptions: Record<string, OptionSpec> = {
  preset: {
    type: 'string',
    help: `Training recipe: ${listPresets().map((preset) => preset.name).join(', ')} (sets arch, dataset, code size, learning rate, noise, epochs, batch size and the model name; options you give win)`,
    placeholder: 'NAME',
  },
}

/** Fills `values` from `--preset` where the user gave nothing; returns the preset, or undefined without --preset. */
export function applyPreset(values: Parsed['values']): Preset | undefined {
  const name = stringOption(values, 'preset')
  if (name === undefined) return undefined
  if (values.resume !== undefined) throw new UsageError('--preset cannot be combined with --resume; a resumed model keeps its own settings.')
  const preset = getPreset(name)
  const settings = presetSettings(preset)
  const fill = (option: string, value: string | number) => {
    if (values[option] === undefined) values[option] = String(value)
  }
  fill('arch', settings.architecture)
  if (values.dataset === undefined) checkPresetFolder(preset.name, settings.dataset)
  fill('dataset', settings.dataset)
  fill('code-size', settings.codeSize)
  fill('learning-rate', settings.learningRate)
  fill('epochs', settings.epochs)
  fill('batch-size', settings.batchSize)
  if (settings.noise !== 'none') fill('noise', settings.noise)
  fill('name', preset.name)
  return preset
}

/**
 * A preset that trains on a folder of the user's photos names one relative to where the command runs (photo-denoise:
 * ./photos). Missing there, the person gets the two ways on, not the folder-not-found message of a resumed model.
 */
function checkPresetFolder(presetName: string, datasetSpec: string): void {
  if (!datasetSpec.startsWith('folder:')) return
  const folder = datasetSpec.slice('folder:'.length)
  if (statSync(resolve(folder), { throwIfNoEntry: false })?.isDirectory()) return
  throw new UsageError(
    `The ${presetName} preset trains on the photos in ./${folder}, and there is no such folder here; ` +
      `put clean photos there or give --dataset folder:DIR.`,
  )
}
