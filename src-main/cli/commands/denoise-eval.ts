// `bottleneck eval MODEL --noise SPEC [--baselines [median5,gaussian,nlm]]`: scores a model as a denoiser — the test
// images corrupted once with a fixed seed, then PSNR and SSIM for the noisy input, the model and each baseline, all on
// the same noisy images; for images smaller than SSIM's window, PSNR alone and a note why.
import type { Autoencoder } from '../../ml/architectures/index'
import type { ImageDataset } from '../../ml/datasets'
import { DENOISE_BASELINES, evaluateDenoising, type DenoiseBaseline } from '../../ml/denoise-eval'
import { formatNoiseSpec, parseNoiseSpec } from '../../ml/noise'
import { hasSsim } from '../../ml/metrics'
import { NO_SSIM_NOTE } from '../../ml/test-metrics'
import { integerOption, stringOption, UsageError, type OptionSpec, type Parsed } from '../args'
import { backendFields, type CommandContext } from '../context'
import { fixed, table, testImages } from '../format'

export const denoiseEvalOptions: Record<string, OptionSpec> = {
  noise: { type: 'string', help: 'Score denoising: corrupt the test inputs with this noise, e.g. gaussian:0.5', placeholder: 'SPEC' },
  baselines: {
    type: 'string',
    help: `With --noise: also score classical denoisers, all of them or a LIST of ${DENOISE_BASELINES.join(', ')} (median is 3×3, median5 5×5)`,
    placeholder: 'LIST',
    bareValue: 'all',
  },
  'noise-seed': { type: 'string', help: 'With --noise: seed of the test noise', defaultText: '1234', placeholder: 'S' },
}

/** Parses the list before any work starts, so a typo fails at once. */
export function parseBaselines(values: Parsed['values']): DenoiseBaseline[] {
  const text = stringOption(values, 'baselines')
  if (text === undefined) return []
  if (stringOption(values, 'noise') === undefined) throw new UsageError('--baselines needs --noise SPEC (the noise the denoisers remove).')
  if (text === 'all') return [...DENOISE_BASELINES]
  const names = text.split(',').map((name) => name.trim()).filter(Boolean)
  for (const name of names) {
    if (!DENOISE_BASELINES.includes(name as DenoiseBaseline)) {
      throw new UsageError(`Unknown baseline "${name}"; use ${DENOISE_BASELINES.join(', ')}.`)
    }
  }
  return names as DenoiseBaseline[]
}

/** The denoising report of `eval --noise`; prints it and returns the exit code. */
export function denoiseEvalReport(
  context: CommandContext,
  parsed: Parsed,
  model: { id: string; name: string; autoencoder: Autoencoder },
  dataset: ImageDataset,
): number {
  const spec = parseNoiseSpec(stringOption(parsed.values, 'noise')!)
  const baselines = parseBaselines(parsed.values)
  const seed = integerOption(parsed.values, 'noise-seed', 0, 2 ** 31 - 1) ?? 1234
  const started = performance.now()
  const shape = model.autoencoder.config.inputShape
  const evaluation = evaluateDenoising(model.autoencoder.model, dataset.test, shape, spec, { seed, baselines })
  const seconds = (performance.now() - started) / 1000
  const rows = [
    ['', 'PSNR', 'SSIM'],
    [model.name, `${fixed(evaluation.model!.psnr, 2)} dB`, fixed(evaluation.model!.ssim)],
    ...Object.entries(evaluation.baselines).map(([name, score]) => [name, `${fixed(score.psnr, 2)} dB`, fixed(score.ssim)]),
    ['noisy input', `${fixed(evaluation.noisy.psnr, 2)} dB`, fixed(evaluation.noisy.ssim)],
  ]
  // The sentence under the table; --json gives it too.
  const notes = hasSsim(shape) ? [] : [NO_SSIM_NOTE]
  context.result(
    { id: model.id, name: model.name, dataset: dataset.name, images: evaluation.count, noise: formatNoiseSpec(spec), noiseSeed: seed, ...backendFields(context.backend), ...evaluation, seconds, notes },
    `${model.name} (${model.id}) denoising ${formatNoiseSpec(spec)} on ${testImages(evaluation.count, dataset.name, seconds)}\n${table(rows)}` +
      notes.map((note) => `\n${note}`).join(''),
  )
  return 0
}
