import { describe, expect, it } from 'vitest'
import { basename, dirname, encodePath, freeName, isInside, join, nameProblem, normalize, segments } from './paths'

describe('paths', () => {
  it('normalizes', () => {
    expect(normalize('')).toBe('/')
    expect(normalize('a//b/')).toBe('/a/b')
    expect(normalize('/./a/')).toBe('/a')
    expect(join('/a', 'b', '/c/')).toBe('/a/b/c')
    expect(segments('/a/b')).toEqual(['a', 'b'])
  })

  it('splits', () => {
    expect(dirname('/a/b.txt')).toBe('/a')
    expect(dirname('/b.txt')).toBe('/')
    expect(dirname('/')).toBe('/')
    expect(basename('/a/b.txt')).toBe('b.txt')
    expect(basename('/')).toBe('')
  })

  it('encodes each segment', () => {
    expect(encodePath('/My Folder/ä b#1?.txt')).toBe('My%20Folder/%C3%A4%20b%231%3F.txt')
    expect(encodePath('/')).toBe('')
  })

  it('knows what is inside what', () => {
    expect(isInside('/a/b', '/a')).toBe(true)
    expect(isInside('/a', '/a')).toBe(true)
    expect(isInside('/ab', '/a')).toBe(false)
    expect(isInside('/x', '/')).toBe(true)
  })

  it('finds a free name', () => {
    expect(freeName('a.txt', new Set())).toBe('a.txt')
    expect(freeName('a.txt', new Set(['a.txt']))).toBe('a (2).txt')
    expect(freeName('a.txt', new Set(['a.txt', 'a (2).txt']))).toBe('a (3).txt')
    expect(freeName('Folder', new Set(['Folder']))).toBe('Folder (2)')
    expect(freeName('.bashrc', new Set(['.bashrc']))).toBe('.bashrc (2)')
  })

  it('checks names', () => {
    expect(nameProblem('ok.txt')).toBeNull()
    expect(nameProblem('')).toBe('name.empty')
    expect(nameProblem('   ')).toBe('name.empty')
    expect(nameProblem('..')).toBe('name.dots')
    expect(nameProblem('a/b')).toBe('name.slash')
    expect(nameProblem('a\\b')).toBe('name.slash')
    expect(nameProblem(' a')).toBe('name.spaces')
    expect(nameProblem('é'.repeat(128))).toBe('name.tooLong')
    expect(nameProblem('x', new Set(['x']))).toBe('name.exists')
  })
})
