import { describe, expect, it } from 'vitest'
import { DUCKDB_JSON_NUMBER, duckDbJsonNumberText, readDuckDbAstJson, writeDuckDbAstJson } from './duckdb-ast-json.js'

describe('the exact JSON of DuckDB ASTs', () => {
  it('keeps every number as DuckDB wrote it, where JSON.parse would round or reformat it', () => {
    const json = '{"value":9007199254740993,"sample":100.0,"small":-2,"exp":1e+300,"list":[1.50,0]}'
    const ast = readDuckDbAstJson(json)
    expect(writeDuckDbAstJson(ast)).toBe(json)
    expect(duckDbJsonNumberText((ast as Record<string, unknown>).value)).toBe('9007199254740993')
  })

  it('leaves digits and keys inside strings alone', () => {
    const json = '{"a":"12 \\"query_location\\":5, 3.0","b":"\\\\","c":true,"d":null}'
    expect(writeDuckDbAstJson(readDuckDbAstJson(json))).toBe(json)
  })

  it('drops source positions wherever they stand in an object', () => {
    const json =
      '{"query_location":7,"a":{"b":1,"query_location":18446744073709551615},"c":{"d":2,"query_location":3,"e":4}}'
    expect(writeDuckDbAstJson(readDuckDbAstJson(json))).toBe('{"a":{"b":1},"c":{"d":2,"e":4}}')
  })

  it('writes numbers JavaScript made as JSON does', () => {
    expect(writeDuckDbAstJson({ key: '1', value: 1, skipped: undefined })).toBe('{"key":"1","value":1}')
    expect(duckDbJsonNumberText(3)).toBe('3')
    expect(duckDbJsonNumberText('3')).toBeUndefined()
  })

  it('refuses to write a kept number that is not a number', () => {
    expect(() => writeDuckDbAstJson({ [DUCKDB_JSON_NUMBER]: '1,"x":2' })).toThrow(TypeError)
  })
})
