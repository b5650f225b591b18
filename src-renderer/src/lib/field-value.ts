// `v-field-value`: shows a store value in an <input> whose edits are committed on `change`, without ever
// overwriting what the person is typing. A plain `:value` binding is re-applied on every re-render of the view, so
// a progress event or a reply arriving while someone types "12" into a field put the old value back mid-word (and
// the `change` that followed committed the old value). The field shows a new value when the value itself changes,
// and otherwise only while it is not being edited (an entry that was refused then snaps back after blur).
import type { Directive } from 'vue'

type FieldValue = string | number | null | undefined

function asText(value: FieldValue): string {
  return value === null || value === undefined ? '' : String(value)
}

function isBeingEdited(el: HTMLInputElement): boolean {
  return el.ownerDocument.activeElement === el
}

export const vFieldValue: Directive<HTMLInputElement, FieldValue> = {
  mounted(el, { value }) {
    el.value = asText(value)
  },
  updated(el, { value, oldValue }) {
    if (value === oldValue && isBeingEdited(el)) return
    const text = asText(value)
    if (el.value !== text) el.value = text
  },
}
