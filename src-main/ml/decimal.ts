// Numbers typed by people (CLI options, noise specs like "gaussian:0.5") in the one notation they mean.

/** Decimal notation, as people write numbers: 12, -3, 0.5, .5, 1e-3. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/**
 * The number `text` writes in decimal notation, else NaN. Number() alone also takes "0x10" (16), "0b11", "" and
 * " " (0): as a count of epochs, an image index or a noise level those are typos, not numbers.
 */
export function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : Number.NaN
}
