import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import ModelsView from '@renderer/views/ModelsView.vue'
import { useSystemStore } from '@renderer/stores/system'
import { makeModel } from './support/fake-api'
import { mountWith, setup } from './support/mount'

// As the back end lists them: the most recently trained first.
const models = [
  makeModel({
    id: 'aaaa1',
    name: 'run 10',
    architecture: 'vae',
    valLoss: 0.2,
    updatedAt: '2026-11-27T09:00:00.000Z',
  }),
  makeModel({
    id: 'aaaa2',
    name: 'Run 2',
    architecture: 'conv',
    valLoss: 0.05,
    updatedAt: '2026-11-26T09:00:00.000Z',
  }),
  makeModel({
    id: 'aaaa3',
    name: 'beta',
    architecture: 'dense',
    epochs: 0,
    loss: undefined,
    valLoss: undefined,
    history: [],
    updatedAt: '2026-11-25T09:00:00.000Z',
  }),
  makeModel({
    id: 'aaaa4',
    name: 'Alpha',
    architecture: 'conv',
    valLoss: 0.1,
    updatedAt: '2026-11-24T09:00:00.000Z',
  }),
]

/** A fresh Pinia each time, as the app has after a restart; what is in localStorage stays. */
async function startApp() {
  const { pinia } = setup({ models })
  await useSystemStore().load()
  return { pinia, wrapper: await mountWith(ModelsView, pinia) }
}

type Wrapper = Awaited<ReturnType<typeof startApp>>['wrapper']

const rowNames = (wrapper: Wrapper) => wrapper.findAll('tbody tr a.name').map((a) => a.text())

/** A sortable column's header cell, found by the words on its button (the arrow left out). */
function header(wrapper: Wrapper, label: string) {
  const cell = wrapper
    .findAll('thead th')
    .find((th) => th.find('button').exists() && th.get('button').text().replace(/[▲▼]/, '').trim() === label)
  if (!cell) throw new Error(`No sortable column "${label}"`)
  return cell
}

function sortedHeaders(wrapper: Wrapper) {
  return wrapper.findAll('thead th[aria-sort]').map((th) => [th.text(), th.attributes('aria-sort')])
}

async function chooseOrder(wrapper: Wrapper, label: string): Promise<void> {
  const select = wrapper.get('select[aria-label="Sort models"]')
  const option = select.findAll('option').find((o) => o.text() === label)
  if (!option) throw new Error(`No order "${label}"`)
  await select.setValue(option.attributes('value'))
}

beforeEach(() => localStorage.clear())
afterEach(() => {
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

describe('ModelsView sorting', () => {
  it('lists the most recently trained first, and says so on the Updated header and in the order select', async () => {
    const { wrapper } = await startApp()
    expect(rowNames(wrapper)).toEqual(['run 10', 'Run 2', 'beta', 'Alpha'])
    expect(sortedHeaders(wrapper)).toEqual([['Updated▼', 'descending']])
    const select = wrapper.get<HTMLSelectElement>('select[aria-label="Sort models"]').element
    expect(select.selectedOptions[0]?.text).toBe('Newest first')
  })

  it('sorts by name, naturally and ignoring case, on a click of its header, and turns round on the next', async () => {
    const { wrapper } = await startApp()
    const name = header(wrapper, 'Name')
    // A button in the header cell: Tab reaches it, Enter and Space press it.
    expect(name.get('button').attributes('type')).toBe('button')
    await name.get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['Alpha', 'beta', 'Run 2', 'run 10'])
    expect(name.attributes('aria-sort')).toBe('ascending')
    expect(header(wrapper, 'Updated').attributes('aria-sort')).toBeUndefined()

    await name.get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['run 10', 'Run 2', 'beta', 'Alpha'])
    expect(name.attributes('aria-sort')).toBe('descending')
  })

  it('sorts by val_loss, lowest first, with a model that has none last either way', async () => {
    const { wrapper } = await startApp()
    const loss = header(wrapper, 'Loss · val_loss')
    await loss.get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['Run 2', 'Alpha', 'run 10', 'beta'])
    expect(sortedHeaders(wrapper)).toEqual([['Loss · val_loss▲', 'ascending']])
    await loss.get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['run 10', 'Alpha', 'Run 2', 'beta'])
  })

  it('turns the date order round, oldest first, from its header', async () => {
    const { wrapper } = await startApp()
    await header(wrapper, 'Updated').get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['Alpha', 'beta', 'Run 2', 'run 10'])
    expect(header(wrapper, 'Updated').attributes('aria-sort')).toBe('ascending')
  })

  it('sorts by architecture from the order select, the newest first among models of one architecture', async () => {
    const { wrapper } = await startApp()
    await chooseOrder(wrapper, 'Architecture, A to Z')
    expect(rowNames(wrapper)).toEqual(['Run 2', 'Alpha', 'beta', 'run 10'])
    // Architecture has no column: no header claims the order.
    expect(sortedHeaders(wrapper)).toEqual([])

    await chooseOrder(wrapper, 'Newest first')
    expect(rowNames(wrapper)).toEqual(['run 10', 'Run 2', 'beta', 'Alpha'])
  })

  it('sorts what the filter leaves', async () => {
    const { wrapper } = await startApp()
    await header(wrapper, 'Name').get('button').trigger('click')
    await wrapper.get('input[type="search"]').setValue('run')
    expect(rowNames(wrapper)).toEqual(['Run 2', 'run 10'])
    await header(wrapper, 'Name').get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['run 10', 'Run 2'])
  })

  it('keeps the order chosen when the view is left and opened again, and after a restart', async () => {
    const first = await startApp()
    await chooseOrder(first.wrapper, 'Lowest val_loss first')
    first.wrapper.unmount()

    const again = await mountWith(ModelsView, first.pinia)
    expect(rowNames(again)).toEqual(['Run 2', 'Alpha', 'run 10', 'beta'])
    again.unmount()

    const restarted = await startApp()
    expect(rowNames(restarted.wrapper)).toEqual(['Run 2', 'Alpha', 'run 10', 'beta'])
    expect(sortedHeaders(restarted.wrapper)).toEqual([['Loss · val_loss▲', 'ascending']])
  })

  it('starts newest first when the remembered order is damaged or unknown', async () => {
    const { wrapper: remembered } = await startApp()
    await header(remembered, 'Name').get('button').trigger('click')
    const stored = Object.keys(localStorage).filter((key) => localStorage.getItem(key) === 'name-ascending')
    expect(stored).toHaveLength(1)
    remembered.unmount()

    for (const damaged of ['size-ascending', 'name-sideways', '{"key":"name"}']) {
      localStorage.setItem(stored[0]!, damaged)
      const { wrapper } = await startApp()
      expect(rowNames(wrapper)).toEqual(['run 10', 'Run 2', 'beta', 'Alpha'])
      expect(sortedHeaders(wrapper)).toEqual([['Updated▼', 'descending']])
      wrapper.unmount()
    }
  })

  it('still sorts, for this session, when the order cannot be stored', async () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    })
    const { wrapper } = await startApp()
    await header(wrapper, 'Name').get('button').trigger('click')
    expect(rowNames(wrapper)).toEqual(['Alpha', 'beta', 'Run 2', 'run 10'])
  })
})
