// The model zoo as a user meets it on the command line: `train --noise-mode fixed` keeps the mode in the model's
// metadata, the final metrics carry the mean code activation, and `eval` prints it; the contract lets the Train view
// ask for fixed noise and sees it in the model's detail. Spawns the real `bottleneck` command and a real service
// with its trainer processes, on a few hundred MNIST digits.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { calls, ModelDetailSchema, TrainingConfigSchema, type EventMessage } from '../../../src-main/contract/index'
import { createService } from '../../../src-main/service/index'
import { forkTrainer } from '../../../src-main/trainer/transport'
import { runCli } from '../support/cli'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-zoo-'))
const store = join(scratch, 'store')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const run = (args: string[]) => runCli(args, { store })

/** The live bottleneck.json of a model (the store keeps it in the version folder `current` names). */
function metadataOf(id: string): { noise?: unknown; metrics?: Record<string, number> } {
  const folder = join(store, 'models', id)
  const current = readFileSync(join(folder, 'current'), 'utf8').trim()
  const version = readdirSync(folder).includes(current) ? current : current.split('/').at(-1)!
  return JSON.parse(readFileSync(join(folder, version, 'bottleneck.json'), 'utf8'))
}

describe('zoo on the command line', () => {
  it('a sparse denoiser trained with fixed noise keeps ",fixed" and its mean code activation; eval prints the same', async () => {
    const train = await run([
      'train', '--arch', 'sparse', '--limit', '600', '--test-limit', '200', '--epochs', '1', '--batch-size', '64',
      '--noise', 'gaussian:0.3', '--noise-mode', 'fixed', '--seed', '4', '--name', 'zoo sparse', '--json',
    ])
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toContain('noise gaussian:0.3,fixed')
    const summary = JSON.parse(train.stdout)
    const metadata = metadataOf(summary.id)
    expect(metadata.noise).toBe('gaussian:0.3,fixed')
    const activation = summary.metrics.meanCodeActivation
    expect(activation).toBeGreaterThan(0)
    expect(metadata.metrics?.meanCodeActivation).toBe(activation)

    const evaluated = await run(['eval', 'zoo sparse', '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    expect(JSON.parse(evaluated.stdout).meanCodeActivation).toBeCloseTo(activation, 5)
    const text = await run(['eval', summary.id])
    expect(text.stdout).toContain(`Mean code activation: ${activation.toFixed(2)} (over 200 images × 32 code values)`)
    // Scored on clean inputs, a denoiser's figures are not its val_loss: eval names the noise to add (without the mode).
    expect(text.stdout).toContain('the model was trained to remove gaussian:0.3: add --noise gaussian:0.3 to score it')
    // The stored scores include the denoising ones, the numbers eval --noise prints for the same noise.
    const denoising = JSON.parse((await run(['eval', summary.id, '--noise', 'gaussian:0.3', '--json'])).stdout)
    expect(metadata.metrics?.denoisingPsnr).toBeCloseTo(denoising.model.psnr, 6)
    expect(metadata.metrics?.denoisingSsim).toBeCloseTo(denoising.model.ssim, 6)
    expect(metadata.metrics?.noisyInputPsnr).toBeCloseTo(denoising.noisy.psnr, 6)
  }, 180_000)

  it('refuses a noise mode it does not know, or one without noise, before training', async () => {
    const unknown = await run(['train', '--noise', 'mask:0.3', '--noise-mode', 'sometimes'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--noise-mode must be fresh or fixed (got "sometimes")')
    const alone = await run(['train', '--noise-mode', 'fixed'])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain('--noise-mode needs --noise SPEC')
  }, 60_000)
})

describe('the contract', () => {
  const config = { architecture: 'dense', datasetId: 'mnist', codeSize: 32, epochs: 1, batchSize: 32, learningRate: 0.001 }
  it('lets the Train view ask for fixed or fresh noise, and nothing else', () => {
    const noise = { type: 'gaussian', stddev: 0.5 }
    expect(TrainingConfigSchema.parse({ ...config, noise, noiseMode: 'fixed' }).noiseMode).toBe('fixed')
    expect(TrainingConfigSchema.parse({ ...config, noise, noiseMode: 'fresh' }).noiseMode).toBe('fresh')
    expect(TrainingConfigSchema.safeParse({ ...config, noise, noiseMode: 'once' }).success).toBe(false)
  })

  it('shows the noise mode in a model detail', () => {
    const detail = {
      id: 'a1b2c3d4e5f6', name: 'm', architecture: 'dense', inputShape: [28, 28, 1], codeSize: 32, dataset: 'MNIST',
      epochs: 1, targetEpochs: 1, createdAt: 'x', updatedAt: 'x', config: {}, history: [],
      noise: { type: 'mask', amount: 0.3 }, noiseMode: 'fixed',
    }
    expect(ModelDetailSchema.parse(detail).noiseMode).toBe('fixed')
  })
})

describe('the service', () => {
  it('trains with noiseMode fixed from the Train view, stores ",fixed" and shows it in models.get and models.list', async () => {
    const service = createService({ storeRoot: join(scratch, 'service-store'), spawn: forkTrainer({ log: () => {} }), shell: 'test' })
    try {
      const done = new Promise<EventMessage>((resolvePromise) => {
        const stop = service.onEvent((message) => {
          if (message.name === 'training.onDone' || message.name === 'training.onError') {
            stop()
            resolvePromise(message)
          }
        })
      })
      const started = await service.handle('training.start', {
        architecture: 'dense', datasetId: 'mnist', codeSize: 8, epochs: 1, batchSize: 64, learningRate: 0.01,
        trainLimit: 300, testLimit: 50, seed: 2, noise: { type: 'mask', amount: 0.3 }, noiseMode: 'fixed',
      })
      expect(started.ok, JSON.stringify(started)).toBe(true)
      const outcome = await done
      expect(outcome).toMatchObject({ name: 'training.onDone', payload: { status: 'completed' } })
      const { modelId } = (started as { value: { modelId: string } }).value
      const detail = await service.handle('models.get', { id: modelId })
      expect(detail.ok).toBe(true)
      const parsed = calls['models.get'].output.parse((detail as { value: unknown }).value)
      expect(parsed).toMatchObject({ noise: { type: 'mask', amount: 0.3 }, noiseMode: 'fixed' })
      // The list carries it too, so views can start from the noise a model was trained on (Compare does).
      const listed = await service.handle('models.list', {})
      const summary = calls['models.list'].output.parse((listed as { value: unknown }).value).models.find((m) => m.id === modelId)
      expect(summary).toMatchObject({ noise: { type: 'mask', amount: 0.3 }, noiseMode: 'fixed' })
    } finally {
      await service.close()
    }
  }, 180_000)
})
