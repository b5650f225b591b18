// One change to tfjs-node's C++ binding before we compile it: a tensor made from a JavaScript array gets its own copy
// of the data in TensorFlow's memory. The stock binding lends TensorFlow the array's V8 buffer whenever it is 64-byte
// aligned (measured with the 2.16.2 libraries: 2 of every 32 four-byte offsets into one ArrayBuffer), keeps the
// array alive with a napi reference, and deletes that reference from the tensor's deallocator — which runs on
// whichever thread drops TensorFlow's last reference to the buffer, and napi references may only be touched on the
// JavaScript thread. A rare native abort in CI ("Check failed: IsAligned()" on a 16-byte-aligned pointer, not
// reproduced since) is the kind of damage that allows; with a copy, TensorFlow never holds JavaScript memory and the
// reference is released at once, on the JavaScript thread. Cost: one memcpy per tensor created from JavaScript data.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StepError } from './shell.js'

export const COPY_MARKER = 'BOTTLENECK_COPIES_JS_DATA'

export const LENT = `  TF_AutoTensor tensor(TF_NewTensor(dtype, shape, shape_length, array_data,
                                    byte_size, DeallocTensor, auto_ref));`

const COPIED = `  // ${COPY_MARKER}: TensorFlow gets its own copy; the JavaScript array is released here, on the JS thread.
  TF_AutoTensor tensor(TF_AllocateTensor(dtype, shape, shape_length, byte_size));
  if (tensor.tensor != nullptr && byte_size > 0)
    memcpy(TF_TensorData(tensor.tensor), array_data, byte_size);
  DeallocTensor(nullptr, 0, auto_ref);
  auto_ref = nullptr;`

/** Patches the source text; returns it unchanged when already patched, throws when it is not the expected code. */
export function patchBindingSource(source) {
  if (source.includes(COPY_MARKER)) return { source, changed: false }
  const at = source.indexOf(LENT)
  if (at < 0 || source.indexOf(LENT, at + 1) >= 0) {
    throw new StepError(
      'patch',
      "tfjs-node's binding/tfjs_backend.cc does not create tensors from typed arrays as expected (another tfjs-node version?)",
    )
  }
  return { source: source.replace(LENT, COPIED), changed: true }
}

/** Applies the patch to the installed tfjs-node's binding source, in place. */
export function patchBinding(packageDir) {
  const file = join(packageDir, 'binding', 'tfjs_backend.cc')
  const { source, changed } = patchBindingSource(readFileSync(file, 'utf8'))
  if (changed) writeFileSync(file, source)
  return { file, changed }
}
