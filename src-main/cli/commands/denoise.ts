// `bottleneck denoise MODEL INPUT… -o OUTDIR`: runs photos of any size through a fully convolutional denoiser in
// overlapping tiles (memory bounded by the tile, not the photo) and writes each result as OUTDIR/<name>.png.
// An INPUT that is a folder stands for the images directly inside it. As in the app's Denoise view, a photo's
// transparency is put back on what is written, and what is not denoised (frames, pages, bits) is said on stderr
// (and, with --json, in each result's notes).
import { readdir, stat } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { checkPhotoFits, denoiseImage, greyscaleResult, isGreyscale, modelGeometry } from '../../ml/denoise-image'
import { BottleneckError, isBottleneckError } from '../../ml/errors'
import { createFolder, readPermissionReason } from '../../ml/file-system'
import {
  DECODABLE_EXTENSIONS,
  decodePhoto,
  DEFAULT_MAX_PIXELS,
  writePng,
  type ImageData,
} from '../../ml/image-io'
import { applyNoiseToImage, parseNoiseSpec, type NoiseSpec } from '../../ml/noise'
import { applyTiled, minimumTileSize } from '../../ml/tiling'
import { integerOption, stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { backendFields, createContext } from '../context'
import { formatDuration, progressBar } from '../format'

const MAX_INPUTS = 1000
// With a depth-2 U-Net's 28 px margin, 512² tiles compute 26% more pixels than they keep (256² tiles: 64%), and an
// 8-filter U-Net's activations for one such tile are tens of megabytes.
const DEFAULT_TILE = 512
const FORMATS = 'PNG, JPEG, WebP, TIFF or GIF'

export const denoiseSpec: CommandSpec = {
  name: 'denoise',
  usage: 'bottleneck denoise MODEL INPUT… -o OUTDIR',
  summary:
    'Denoises image files of any size with a fully convolutional model (unet), tile by tile, writing OUTDIR/NAME.png. ' +
    `An INPUT folder stands for the images directly inside it (${FORMATS}; subfolders are not searched).`,
  options: {
    output: {
      type: 'string',
      short: 'o',
      help: 'Folder for the results (created if missing)',
      placeholder: 'OUTDIR',
    },
    tile: {
      type: 'string',
      help: 'Tile side in pixels (memory grows with its square; smaller tiles waste more time on overlap)',
      placeholder: 'N',
      defaultText: String(DEFAULT_TILE),
    },
    overlap: {
      type: 'string',
      help: 'Context around each tile that is computed and discarded',
      placeholder: 'N',
      defaultText: "the U-Net's receptive radius, so tiles leave no seams",
    },
    'tile-batch': {
      type: 'string',
      help: 'Tiles per model call (faster on native TensorFlow, more memory)',
      placeholder: 'N',
      defaultText: '1',
    },
    'add-noise': {
      type: 'string',
      help: 'Corrupt each input first (e.g. gaussian255:25) and also write NAME.noisy.png, to try a model on clean photos',
      placeholder: 'SPEC',
    },
    'max-megapixels': { type: 'string', help: 'Refuse larger images', placeholder: 'N', defaultText: '100' },
  },
  // parseArgs checks the count against this list; the command takes up to MAX_INPUTS inputs after the model.
  positionals: [
    { name: 'MODEL', required: true },
    { name: 'INPUT', required: true },
    ...Array.from({ length: MAX_INPUTS - 1 }, () => ({ name: 'INPUT', required: false })),
  ],
}

/** A folder among the INPUT arguments and what was taken from it. */
interface InputFolder {
  /** As written on the command line, for the sentences. */
  given: string
  folder: string
  images: number
  skippedFiles: number
  skippedSubfolders: number
}

/** What the INPUT arguments stand for: the image files, and the folders they were taken from. */
interface ExpandedInputs {
  files: string[]
  folders: InputFolder[]
}

/** Replaces each folder among `inputs` by the images directly inside it, sorted; files stay as they are. */
async function expandInputs(inputs: string[]): Promise<ExpandedInputs> {
  const expanded: ExpandedInputs = { files: [], folders: [] }
  for (const input of inputs) {
    const path = resolve(input)
    // A path that cannot be examined is left to the decoder, which says why it cannot be read.
    if (!(await stat(path).catch(() => undefined))?.isDirectory()) {
      expanded.files.push(path)
      continue
    }
    let entries
    try {
      entries = await readdir(path, { withFileTypes: true })
    } catch (error) {
      const why =
        readPermissionReason(error) ??
        `the file system refused (${(error as NodeJS.ErrnoException).code ?? String(error)})`
      throw new BottleneckError('INVALID_INPUT', `Cannot read the folder ${input}: ${why}.`, error)
    }
    // Hidden entries are left out of the images and the count alike: .DS_Store and macOS's "._photo.jpg" companions
    // are not pictures, and the person never put them there.
    const visible = entries.filter((entry) => !entry.name.startsWith('.'))
    const images = visible
      .filter(
        (entry) => !entry.isDirectory() && DECODABLE_EXTENSIONS.includes(extname(entry.name).toLowerCase()),
      )
      .map((entry) => entry.name)
      .sort()
    const subfolders = visible.filter((entry) => entry.isDirectory()).length
    expanded.files.push(...images.map((name) => join(path, name)))
    expanded.folders.push({
      given: input,
      folder: path,
      images: images.length,
      skippedFiles: visible.length - images.length - subfolders,
      skippedSubfolders: subfolders,
    })
  }
  return expanded
}

/** The line a folder gets: how many images it gave, or that it gave none, and what was skipped. */
function folderSentence({ given, images, skippedFiles, skippedSubfolders }: InputFolder): string {
  const skipped = [
    ...(skippedFiles > 0 ? [count(skippedFiles, 'other file')] : []),
    ...(skippedSubfolders > 0
      ? [`${count(skippedSubfolders, 'subfolder')} (subfolders are not searched)`]
      : []),
  ].join(' and ')
  const taken = images === 0 ? ` has no images (${FORMATS})` : `: ${count(images, 'image')}`
  return `${given}${taken}${skipped ? `; skipped ${skipped}` : ''}.`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

export async function denoiseCommand(parsed: Parsed): Promise<number> {
  const [ref, ...inputs] = parsed.positionals as [string, ...string[]]
  const outputOption = stringOption(parsed.values, 'output')
  if (!outputOption) throw new UsageError('denoise needs -o OUTDIR (see `bottleneck denoise --help`).')
  const tileSize = integerOption(parsed.values, 'tile', 16, 4096) ?? DEFAULT_TILE
  const overlapOption = integerOption(parsed.values, 'overlap', 0, 512)
  const tileBatch = integerOption(parsed.values, 'tile-batch', 1, 64) ?? 1
  const maxPixels =
    (integerOption(parsed.values, 'max-megapixels', 1, 1000) ?? DEFAULT_MAX_PIXELS / 1e6) * 1e6
  const noiseText = stringOption(parsed.values, 'add-noise')
  const noise: NoiseSpec | undefined = noiseText ? parseNoiseSpec(noiseText) : undefined

  const { files, folders } = await expandInputs(inputs)
  const emptyFolders = folders.filter((folder) => folder.images === 0)
  if (files.length === 0) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Nothing to denoise: ${emptyFolders.map(folderSentence).join(' ')}`,
    )
  }

  // Plan every output name before any work, so no result overwrites an input or another result.
  const outDir = resolve(outputOption)
  const plans = files.map((input) => {
    const stem = basename(input, extname(input))
    return {
      input,
      output: join(outDir, `${stem}.png`),
      noisy: join(outDir, `${stem}.noisy.png`),
    }
  })
  const seen = new Map<string, string>()
  for (const plan of plans) {
    if (plan.output === plan.input) {
      throw new UsageError(`${plan.input} would be overwritten by its own result; choose another -o folder.`)
    }
    const other = seen.get(plan.output)
    if (other)
      throw new UsageError(`${other} and ${plan.input} would both be written to ${plan.output}; rename one.`)
    seen.set(plan.output, plan.input)
  }

  const context = await createContext(parsed)
  for (const folder of folders) {
    if (folder.images > 0) context.say(folderSentence(folder))
    else process.stderr.write(`bottleneck: ${folderSentence(folder)}\n`)
  }
  const { record, autoencoder } = await context.store.load(ref)
  const controller = new AbortController()
  const onInterrupt = () => controller.abort()
  process.once('SIGINT', onInterrupt)
  const results: Array<{
    input: string
    output?: string
    /** With --add-noise: the corrupted input, as the model was given it. */
    noisyOutput?: string
    megapixels?: number
    seconds?: number
    /** The written PNG carries the photo's transparency (it had some). */
    transparencyKept?: boolean
    /** What was not denoised (frames, pages, bits), the warnings stderr gets. */
    notes: string[]
    error?: string
  }> = []
  try {
    const { anySize, multiple, channels, ...geometry } = modelGeometry(autoencoder)
    const overlap = overlapOption ?? geometry.overlap
    // Checked once here, not by every photo's tiling: the answer is the same for all of them.
    const smallestTile = minimumTileSize(overlap, multiple)
    if (anySize && tileSize < smallestTile) {
      const tile =
        parsed.values.tile === undefined ? `The default tile of ${tileSize} px` : `--tile ${tileSize}`
      throw new UsageError(
        `${tile} is too small for ${record.metadata.name}: each tile loses ${overlap} px of overlap on every side. ` +
          `Use --tile ${smallestTile} or more${overlapOption === undefined ? '' : ', or a smaller --overlap'}.`,
      )
    }
    // Only now that the model and the inputs are known good: a failed start leaves no empty folder behind.
    await createFolder(outDir)
    let diskFull = false
    for (const plan of plans) {
      if (controller.signal.aborted) break
      const started = performance.now()
      let notes: string[] = []
      try {
        // The photo's transparency goes back on what is written (the model denoises the colour under it).
        const photo = await decodePhoto(plan.input, { channels, maxPixels, limitOption: '--max-megapixels' })
        let image: ImageData = photo.image
        checkPhotoFits(record.metadata.name, { anySize, ...geometry }, image, basename(plan.input))
        notes = photo.notes
        for (const note of notes) process.stderr.write(`bottleneck: ${note}\n`)
        // Judged before any synthetic noise, which is drawn per channel and would make a grey photo look coloured.
        const greyscale = channels === 3 && isGreyscale(image)
        if (noise) {
          // Seeded by position so a rerun corrupts each file the same way.
          image = applyNoiseToImage(image, noise, 1000 + results.length)
          await writePng(plan.noisy, image, photo.alpha)
        }
        let lastPrint = 0
        const denoised = anySize
          ? await applyTiled(image, autoencoder.model, {
              tileSize,
              overlap,
              multiple,
              batchSize: tileBatch,
              signal: controller.signal,
              onProgress: ({ done, total }) => {
                const now = performance.now()
                if (now - lastPrint < 500 && done < total) return
                lastPrint = now
                const elapsed = (now - started) / 1000
                const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN
                context.say(
                  `${basename(plan.input)} ${progressBar(done, total)} ${done}/${total} tiles, ETA ${formatDuration(eta)}`,
                )
              },
            })
          : await denoiseImage(autoencoder, image)
        await writePng(plan.output, greyscale ? greyscaleResult(denoised) : denoised, photo.alpha)
        const seconds = (performance.now() - started) / 1000
        const megapixels = (image.height * image.width) / 1e6
        results.push({
          input: plan.input,
          output: plan.output,
          ...(noise ? { noisyOutput: plan.noisy } : {}),
          megapixels,
          seconds,
          transparencyKept: photo.alpha !== null,
          notes,
        })
        context.say(`Wrote ${plan.output} (${megapixels.toFixed(1)} MP in ${formatDuration(seconds)})`)
      } catch (error) {
        if (!isBottleneckError(error) || error.code === 'CANCELLED') throw error
        // One bad file or one failed write in a batch of photos should not lose the others: report it and go on,
        // unless the disk is full, when every later write would fail the same way.
        results.push({ input: plan.input, error: error.message, notes })
        process.stderr.write(`bottleneck: ${error.message}\n`)
        if (error.code === 'DISK_FULL') {
          diskFull = true
          break
        }
      }
    }
    if (controller.signal.aborted) throw new BottleneckError('CANCELLED', 'Denoising was cancelled.')
    const failed = results.filter((r) => r.error).length
    const untried = plans.length - results.length
    const stopped = diskFull ? ` Stopped because the disk is full; ${count(untried, 'image')} not tried.` : ''
    context.result(
      {
        id: record.id,
        results,
        ...(diskFull ? { stopped: 'DISK_FULL', untried } : {}),
        outputFolder: outDir,
        folders: folders.map(({ given: _given, ...folder }) => folder),
        ...backendFields(context.backend),
      },
      `Denoised ${results.length - failed} of ${count(plans.length, 'image')} into ${outDir}.${stopped}`,
    )
    return failed > 0 ? 1 : 0
  } finally {
    process.off('SIGINT', onInterrupt)
    autoencoder.dispose()
  }
}
