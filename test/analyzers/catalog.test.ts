// The built-in name lists against the real extensions loaded in php-cli, and
// the prefilter against every name the rules look for.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DB_METHODS,
  EVIDENCE_PATTERN,
  LEGACY_MYSQL_FUNCTIONS,
  MYSQLI_CLASSES,
  MYSQLI_FUNCTIONS,
  PDO_CLASSES,
  SQLITE3_CLASSES,
  SQLITE3_METHODS,
} from '../../analyzers/php/catalog.js';
import { requireTool } from '../helpers/require-tool.js';

const php = requireTool('php');

function phpJson(code: string): unknown {
  return JSON.parse(execFileSync(php!, ['-r', code], { encoding: 'utf8' }));
}

describe.skipIf(php === null)('catalog against php-cli', () => {
  it('lists every function of the loaded mysqli extension', () => {
    const functions = phpJson('echo json_encode(get_extension_funcs("mysqli"));') as string[];
    expect(functions.length).toBeGreaterThan(90);
    expect(functions.filter((f) => !MYSQLI_FUNCTIONS.has(f.toLowerCase()))).toEqual([]);
  });

  it('lists every mysqli, PDO and SQLite3 class php-cli declares', () => {
    const classes = phpJson(
      'echo json_encode(array_values(array_filter(get_declared_classes(), function ($c) { return preg_match("/^(mysqli|pdo|sqlite3)/i", $c); })));',
    ) as string[];
    const known = new Set([...MYSQLI_CLASSES, ...PDO_CLASSES, ...SQLITE3_CLASSES]);
    expect(classes.length).toBeGreaterThanOrEqual(12);
    expect(classes.filter((c) => !known.has(c.toLowerCase()))).toEqual([]);
  });

  it('counts only method names that exist on mysqli, mysqli_stmt, PDO or PDOStatement', () => {
    const methods = phpJson(
      'echo json_encode(array_map("strtolower", array_merge(get_class_methods("mysqli"), get_class_methods("mysqli_stmt"), get_class_methods("PDO"), get_class_methods("PDOStatement"))));',
    ) as string[];
    const real = new Set(methods);
    expect([...DB_METHODS].filter((m) => !real.has(m))).toEqual([]);
  });
});

describe('the prefilter', () => {
  it('lets through every call, class, constant and method the rules count', () => {
    const samples = [
      ...[...MYSQLI_FUNCTIONS, ...LEGACY_MYSQL_FUNCTIONS, 'pg_query', 'sqlsrv_query', 'oci_parse'].map((f) => `<?php ${f.toUpperCase()}($x);`),
      ...[...MYSQLI_CLASSES, ...PDO_CLASSES, ...SQLITE3_CLASSES].map((c) => `<?php new \\${c}();`),
      ...[...DB_METHODS, ...SQLITE3_METHODS].map((m) => `<?php $db -> /* why */ ${m} # note\n ($sql);`),
      '<?php X::query($sql);',
      '<?php $x?->execute();',
      '<?php echo MYSQLI_ASSOC;',
      '<?php use PDO as Db;',
      '<?php try {} catch (PDOException $e) {}',
    ];
    expect(samples.filter((s) => !EVIDENCE_PATTERN.test(s))).toEqual([]);
  });

  it('rejects look-alikes inside other words and prose in strings', () => {
    const samples = [
      '<?php $dropdown = 1;',
      "<?php echo 'jQuery query string';",
      '<?php $tpdo = new TPdoHelper();',
      '<?php $x->queryAll();',
      '<?php $img = "photo.jpg_thumb";',
      '<?php $mysqli = $pdo;',
      '<?php function executeAll() {}',
    ];
    expect(samples.filter((s) => EVIDENCE_PATTERN.test(s))).toEqual([]);
  });
});
