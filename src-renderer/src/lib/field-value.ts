// `v-field-value`: shows a store value in an <input> whose edits are committed on `change`, without ever
// overwriting what the person is typing. A plain `:value` binding is re-applied on every re-render of the view, so
// a progress event or a reply arriving while someone types "12" into a field put the old value back mid-word (and
// the `change` that followed committed the old value). The field shows a new value when the value itself changes,
// and otherwise only while it is not being edited. An entry the view refuses on `change` (out of range, not a
// number) is replaced by the value still in use right away, so the field never shows a number that is not used.
import { nextTick, type Directive } from 'vue'

type FieldValue = string | number | null | undefined

function asText(value: FieldValue): string {
  return value === null || value === undefined ? '' : String(value)
}

function isBeingEdited(el: HTMLInputElement): boolean {
  return el.ownerDocument.activeElement === el
}

/** The value each field was last given, to put back after a refused entry. */
const valueInUse = new WeakMap<HTMLInputElement, FieldValue>()

function show(el: HTMLInputElement, value: FieldValue): void {
  const text = asText(value)
  if (el.value !== text) el.value = text
}

export const vFieldValue: Directive<HTMLInputElement, FieldValue> = {
  mounted(el, { value }) {
    valueInUse.set(el, value)
    show(el, value)
    // Runs after the view's own @change handler (added first). A refused entry changes no value, so nothing
    // re-renders the field: once Vue has applied whatever the handler committed, show the value in use.
    el.addEventListener('change', () => void nextTick(() => show(el, valueInUse.get(el))))
  },
  updated(el, { value, oldValue }) {
    valueInUse.set(el, value)
    if (value === oldValue && isBeingEdited(el)) return
    show(el, value)
  },
}
