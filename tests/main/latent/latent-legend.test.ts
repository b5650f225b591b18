// The PNG latent map for any labels, not only the digits 0–9: each label its own colour while there are few enough to
// tell apart (MNIST's ten keep tab10's), and a legend under the plot that lists the labels the map has, read back here
// from its pixels the way a person reads it: a number, then a swatch of that number's colour.
import { describe, expect, it } from 'vitest'
import type { ImageData } from '../../../src-main/ml/image-io'
import { labelLegend, renderLatentMap, type Projection } from '../../../src-main/ml/latent'

type Rgb = [number, number, number]

function pixel(image: ImageData, row: number, column: number): Rgb {
  const offset = (row * image.width + column) * 3
  return Array.from(image.data.subarray(offset, offset + 3), (v) => Math.round(v * 255)) as Rgb
}

const isWhite = (c: Rgb) => c.every((v) => v === 255)
const isBlack = (c: Rgb) => c.every((v) => v === 0)
const isColour = (c: Rgb) => !isWhite(c) && !isBlack(c)

// The legend's 3×5 font, each font pixel drawn 2×2, glyphs 8 px apart: what a reader of the PNG sees as digits.
const FONT: Record<string, string> = {
  '111101101101111': '0',
  '010110010010111': '1',
  '111001111100111': '2',
  '111001111001111': '3',
  '101101111001001': '4',
  '111100111001111': '5',
  '111100111101111': '6',
  '111001010010010': '7',
  '111101111101111': '8',
  '111101111001111': '9',
}

/** The legend's entries, row by row and left to right: the number printed before each swatch, and the swatch's colour. */
function readLegend(image: ImageData, plotSize: number): { label: number; colour: Rgb; at: [number, number] }[] {
  const entries: { label: number; colour: Rgb; at: [number, number] }[] = []
  for (let row = plotSize; row < image.height; row++) {
    for (let column = 0; column < image.width; column++) {
      const colour = pixel(image, row, column)
      // A swatch's top-left corner: coloured, with neither its left nor its upper neighbour coloured.
      if (!isColour(colour) || isColour(pixel(image, row - 1, column)) || isColour(pixel(image, row, column - 1))) continue
      let text = ''
      for (let glyphLeft = column - 3 - 6; glyphLeft >= 0; glyphLeft -= 8) {
        let bits = ''
        for (let gy = 0; gy < 5; gy++) for (let gx = 0; gx < 3; gx++) bits += isBlack(pixel(image, row + gy * 2, glyphLeft + gx * 2)) ? '1' : '0'
        if (!bits.includes('1')) break
        text = (FONT[bits] ?? '?') + text
      }
      entries.push({ label: Number(text), colour, at: [row, column] })
    }
  }
  return entries
}

/** A map whose two corner points (labels `corners`) fix both axes to −0.5 … 10.5, so the other dots land on known pixels. */
function mapOf(placed: { x: number; y: number; label: number }[], corners: [number, number], size = 101): ImageData {
  const all = [{ x: 0, y: 0, label: corners[0] }, { x: 10, y: 10, label: corners[1] }, ...placed]
  const projection: Projection = {
    points: Float32Array.from(all.flatMap(({ x, y }) => [x, y])),
    count: all.length,
    method: 'code',
  }
  return renderLatentMap(projection, Uint8Array.from(all.map(({ label }) => label)), { size, radius: 0 })
}

describe('latent map PNG for labels other than the digits 0–9', () => {
  // EMNIST letters: labels 1–26. Labels 1, 11 and 21 sit side by side at y = 4; the rest elsewhere.
  const letters = Array.from({ length: 26 }, (_, i) => i + 1)
  const others = letters.filter((label) => ![1, 11, 21, 2, 26].includes(label))
  const emnist = mapOf(
    [
      { x: 1.7, y: 4, label: 1 },
      { x: 3.9, y: 4, label: 11 },
      { x: 6.1, y: 4, label: 21 },
      ...others.map((label) => ({ x: 8.3, y: 8.3, label })),
    ],
    [26, 2],
    400,
  )
  /** The pixel of the dot at x = 1.1·k − 0.5, y = 4. */
  const at = (k: number) => pixel(emnist, Math.round(((10.5 - 4) / 11) * 399), Math.round(((1.1 * k) / 11) * 399))

  it('draws label 11 in a colour of its own, not in label 1’s', () => {
    expect(isColour(at(2))).toBe(true)
    expect(isColour(at(4))).toBe(true)
    expect(at(4)).not.toEqual(at(2))
  })

  it('lists the labels the map has, 1 to 26, each beside a swatch of the colour its dots have', () => {
    const legend = readLegend(emnist, 400)
    expect(legend.map((entry) => entry.label)).toEqual(letters)
    const colourOf = (label: number) => legend.find((entry) => entry.label === label)!.colour
    expect(colourOf(1)).toEqual(at(2))
    expect(colourOf(11)).toEqual(at(4))
    expect(colourOf(21)).toEqual(at(6))
    // The first twenty labels are twenty different colours; beyond, they repeat (label 21 is drawn like label 1).
    expect(new Set(legend.slice(0, 20).map((entry) => entry.colour.join())).size).toBe(20)
    expect(colourOf(21)).toEqual(colourOf(1))
  })

  it('wraps a legend too long for one row into more rows under the plot', () => {
    expect(emnist.height).toBeGreaterThan(400 + 24)
    const rows = new Set(readLegend(emnist, 400).map((entry) => entry.at[0]))
    expect(rows.size).toBeGreaterThan(1)
  })

  it('reads numbers of three digits, and lists only the labels present, in order', () => {
    const map = mapOf([{ x: 5, y: 5, label: 100 }], [255, 7], 256)
    expect(readLegend(map, 256).map((entry) => entry.label)).toEqual([7, 100, 255])
    expect(labelLegend(Uint8Array.from([255, 7, 100, 7])).labels).toEqual([7, 100, 255])
  })

  it('keeps MNIST’s legend: 0–9 in one row, each digit in its tab10 colour, where it always was', () => {
    const digits = Array.from({ length: 10 }, (_, label) => ({ x: 5, y: 5, label }))
    const map = mapOf(digits, [0, 9], 512)
    expect(map.height).toBe(512 + 24)
    const legend = readLegend(map, 512)
    expect(legend.map((entry) => entry.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(legend[0]).toEqual({ label: 0, colour: [31, 119, 180], at: [519, 24] })
    expect(legend[9]).toEqual({ label: 9, colour: [23, 190, 207], at: [519, 9 * 51 + 24] })
  })

  it('gives a digit its MNIST colour even on a map that happens to miss other digits', () => {
    const map = mapOf([{ x: 5, y: 5, label: 5 }], [3, 7])
    expect(readLegend(map, 101).map((entry) => [entry.label, entry.colour])).toEqual([
      [3, [214, 39, 40]],
      [5, [140, 86, 75]],
      [7, [127, 127, 127]],
    ])
  })
})
