// A minimal protocol-buffers writer: just enough of the wire format (varints, length-delimited fields, fixed32
// floats) to emit TensorFlow's SavedModel / GraphDef messages without a protobuf dependency.

/** One encoded message under construction; nested messages are encoded first and embedded as bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = []
  private length = 0

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt(field * 8 + wireType))
  }

  private varint(value: bigint): void {
    // Negative int64 values are written as their 64-bit two's complement (10 bytes), as protobuf requires.
    let v = value < 0n ? value + (1n << 64n) : value
    const bytes: number[] = []
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v > 0n) byte |= 0x80
      bytes.push(byte)
    } while (v > 0n)
    this.push(Uint8Array.from(bytes))
  }

  /** int32, int64, enum and bool fields (wire type 0). */
  int(field: number, value: number | bigint | boolean): this {
    this.tag(field, 0)
    this.varint(typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value))
    return this
  }

  /** A float field (wire type 5, little-endian IEEE 754 single). */
  float(field: number, value: number): this {
    this.tag(field, 5)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, true)
    this.push(bytes)
    return this
  }

  /** string, bytes and embedded-message fields (wire type 2). */
  bytes(field: number, value: Uint8Array | string | ProtoWriter): this {
    const data =
      typeof value === 'string'
        ? new TextEncoder().encode(value)
        : value instanceof ProtoWriter
          ? value.finish()
          : value
    this.tag(field, 2)
    this.varint(BigInt(data.length))
    this.push(data)
    return this
  }

  /** A packed repeated varint field. */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter()
    for (const value of values) inner.varint(BigInt(value))
    return this.bytes(field, inner)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.length
    }
    return out
  }
}
