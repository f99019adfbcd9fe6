import { describe, expect, it } from 'vitest'
import { fromFiles, renameTops, topNames } from './dropped'

describe('dropped entries', () => {
  it('uses the relative path of folder inputs', () => {
    const inFolder = new File(['x'], 'a.txt')
    Object.defineProperty(inFolder, 'webkitRelativePath', { value: 'Folder/sub/a.txt' })
    const plain = new File(['y'], 'b.txt')
    const entries = fromFiles([inFolder, plain])
    expect(entries.map((e) => e.relativePath)).toEqual(['Folder/sub/a.txt', 'b.txt'])
    expect(topNames(entries)).toEqual(['Folder', 'b.txt'])
    const renamed = renameTops(entries, new Map([['Folder', 'Folder (2)']]))
    expect(renamed.map((e) => e.relativePath)).toEqual(['Folder (2)/sub/a.txt', 'b.txt'])
  })
})
