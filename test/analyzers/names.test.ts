// PHP name resolution inside one file.
import { describe, expect, it } from 'vitest';
import { NameContext } from '../../analyzers/php/names.js';

describe('NameContext', () => {
  it('gives an unqualified function in a namespace two candidates: the namespace, then global', () => {
    const names = new NameContext();
    names.enterNamespace('App\\Pages');
    expect(names.functionCandidates('Mysqli_Query', 'uqn')).toEqual(['app\\pages\\mysqli_query', 'mysqli_query']);
    expect(names.functionCandidates('\\mysqli_query', 'fqn')).toEqual(['mysqli_query']);
    expect(names.functionCandidates('namespace\\foo', 'rn')).toEqual(['app\\pages\\foo']);
    expect(names.functionCandidates('Sub\\foo', 'qn')).toEqual(['app\\pages\\sub\\foo']);
  });

  it('applies `use function … as` and `use … as` aliases, case-insensitively', () => {
    const names = new NameContext();
    names.enterNamespace('App');
    names.addFunctionImport('mysqli_query', 'Q');
    names.addClassImport('PDO', 'Db');
    names.addClassImport('Vendor\\Lib', null);
    expect(names.functionCandidates('q', 'uqn')).toEqual(['mysqli_query']);
    expect(names.resolveClass('DB', 'uqn')).toBe('pdo');
    expect(names.resolveClass('Lib\\Conn', 'qn')).toBe('vendor\\lib\\conn');
    expect(names.functionCandidates('Lib\\connect', 'qn')).toEqual(['vendor\\lib\\connect']);
    expect(names.resolveClass('mysqli', 'uqn')).toBe('app\\mysqli');
    expect(names.resolveClass('\\mysqli', 'fqn')).toBe('mysqli');
    expect(names.resolveClass('int', 'uqn')).toBeNull();
  });

  it('forgets imports at the next namespace', () => {
    const names = new NameContext();
    names.enterNamespace('A');
    names.addFunctionImport('mysqli_query', 'q');
    names.enterNamespace('B');
    expect(names.functionCandidates('q', 'uqn')).toEqual(['b\\q', 'q']);
  });
});
