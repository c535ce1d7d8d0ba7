import { describe, expect, it } from 'vitest';
import { findPhp72Violations } from '../helpers/php72-syntax.js';

function constructs(code: string): string[] {
  return findPhp72Violations(`<?php\n${code}\n`).map((v) => v.construct);
}

describe('findPhp72Violations: syntax newer than PHP 7.2 is reported', () => {
  const cases: Array<[string, string, string]> = [
    ['typed property', 'class A { private int $x = 1; }', 'typed property (PHP 7.4)'],
    ['nullable typed static property', 'class A { private static ?A $i = null; }', 'typed property (PHP 7.4)'],
    ['arrow function', '$f = fn($x) => $x + 1;', 'arrow function fn() (PHP 7.4)'],
    ['match', '$y = match ($x) { 1 => "a", default => "b" };', 'match expression (PHP 8.0)'],
    ['nullsafe property', '$y = $a?->b;', 'nullsafe operator ?-> (PHP 8.0)'],
    ['nullsafe method', '$y = $a?->b();', 'nullsafe operator ?-> (PHP 8.0)'],
    ['named argument', 'htmlspecialchars($s, double_encode: false);', 'named argument (PHP 8.0)'],
    ['enum', 'enum Suit { case Hearts; }', 'enum (PHP 8.1)'],
    ['??=', '$a ??= 1;', 'null coalescing assignment ??= (PHP 7.4)'],
    ['numeric separator', '$n = 1_000_000;', 'numeric literal separator (PHP 7.4)'],
    ['float separator', '$n = 1_000.5;', 'numeric literal separator (PHP 7.4)'],
    ['explicit octal', '$n = 0o17;', 'explicit octal 0o prefix (PHP 8.1)'],
    ['readonly property', 'class A { public readonly int $x; }', 'readonly property (PHP 8.1)'],
    ['readonly class', 'readonly class A {}', 'readonly class (PHP 8.2)'],
    ['constructor promotion', 'class A { public function __construct(private $x) {} }', 'constructor property promotion (PHP 8.0)'],
    ['union type', 'function f(int|string $x) {}', 'union type (PHP 8.0)'],
    ['union return type', 'function f(): int|false { return 1; }', 'union type (PHP 8.0)'],
    ['intersection type', 'function f(A&B $x) {}', 'intersection type (PHP 8.1)'],
    ['static return type', 'class A { public function f(): static { return $this; } }', 'static return type (PHP 8.0)'],
    ['mixed', 'function f(mixed $x) {}', 'mixed type (PHP 8.0)'],
    ['mixed return', 'function f(): mixed {}', 'mixed type (PHP 8.0)'],
    ['never', 'function f(): never { exit; }', 'never type (PHP 8.1)'],
    ['attribute', '#[Deprecated]\nfunction f() {}', 'attribute #[...] (PHP 8.0)'],
    ['trailing comma in parameters', 'function f($a, $b,) {}', 'trailing comma in a parameter list (PHP 8.0)'],
    ['trailing comma in method parameters', 'class A { public function f($a,) {} }', 'trailing comma in a parameter list (PHP 8.0)'],
    ['trailing comma in closure parameters', '$f = function ($a,) {};', 'trailing comma in a parameter list (PHP 8.0)'],
    ['trailing comma in closure use', '$f = function () use ($a, $b,) {};', 'trailing comma in a closure use list (PHP 8.0)'],
    ['trailing comma in a call', 'f($a, $b,);', 'trailing comma in an argument list (PHP 7.3)'],
    ['trailing comma in a method call', '$o->f($a,);', 'trailing comma in an argument list (PHP 7.3)'],
    ['trailing comma in isset', 'isset($a, $b,);', 'trailing comma in an argument list (PHP 7.3)'],
    ['new in a parameter default', 'function f($x = new A()) {}', 'new in an initializer (PHP 8.1)'],
    ['new in a static variable', 'function f() { static $x = new A(); }', 'new in an initializer (PHP 8.1)'],
    ['first-class callable', '$f = strlen(...);', 'first-class callable syntax f(...) (PHP 8.1)'],
    ['first-class method callable', '$f = $o->m(...);', 'first-class callable syntax f(...) (PHP 8.1)'],
    ['catch without variable', 'try { f(); } catch (Exception) {}', 'catch without a variable (PHP 8.0)'],
    ['::class on an object', '$c = $o::class;', '::class on an object (PHP 8.0)'],
    ['throw expression', '$v = $a ?? throw new Exception();', 'throw expression (PHP 8.0)'],
    ['array unpacking', '$a = [1, ...$b];', 'array unpacking [...$a] (PHP 7.4)'],
  ];

  it.each(cases)('%s', (_name, code, construct) => {
    expect(constructs(code)).toContain(construct);
  });

  it('reports the line of the construct', () => {
    expect(findPhp72Violations('<?php\n$a = 1;\n\n$f = fn($x) => $x;\n', 'f.php')).toEqual([{ line: 4, construct: 'arrow function fn() (PHP 7.4)' }]);
  });

  it('reports a source that does not parse as a syntax error', () => {
    const [only, ...rest] = findPhp72Violations('<?php\nfunction (\n');
    expect(rest).toEqual([]);
    expect(only?.construct).toMatch(/^syntax error: /);
  });
});

describe('findPhp72Violations: PHP 7.2 syntax is accepted', () => {
  const valid: Array<[string, string]> = [
    ['nullable, scalar, void, iterable and object types', 'function f(?int $a, string $b, iterable $c, object $d): void {}\nfunction g(): ?array { return null; }'],
    ['self return type and new static', 'class A { public static function make(): self { return new static(); } }'],
    ['untyped and docblock-typed properties', 'class A { /** @var int */ private $x = 1; var $y; public static $z = array(); const C = 1; }'],
    ['?? and ?:', '$a = $b ?? $c ?: $d;'],
    ['trailing commas in arrays and group use', 'use A\\{B, C,};\n$a = array(1, 2,);\n$b = [1, 2,];\n$c = [[1,], [2,],];'],
    ['list and short list', 'list($a, $b) = $x;\n[$c, $d] = $y;\nlist(, $e) = $z;'],
    ['variadics and argument unpacking', 'function f(...$args) { return g(...$args); }'],
    ['closures with use and static closures', '$f = function ($x) use ($y, &$z) { return $x; };\n$g = static function () {};'],
    ['multi-catch and throw statements', 'try { f(); } catch (A | B $e) { throw $e; }\nif ($x) throw new E();'],
    ['Class::class and static calls', '$c = A::class;\n$d = static::class;\n$e = parent::f();'],
    ['hash comments that are not attributes', '# a comment\n# [not an attribute]\n$a = 1;'],
    ['syntax inside strings, heredocs and comments', '$s = "fn($x) => $x ?-> match ( 1_000";\n$h = <<<EOT\n$a?->b fn( #[x]\nEOT;\n// $a ??= 1; function f($a,) {}\n/* enum E { case A; } */'],
    ['numbers', '$n = 0x1F + 017 + 0b101 + 1e10 + 1.5;'],
    ['constant expressions in defaults', 'function f($a = array(1, 2), $b = self::X, $c = PHP_INT_MAX) { static $n = 0; }'],
    ['inline HTML with short echo', '?>\n<p><?= $x ?></p>\n<?php if ($a): ?>yes<?php endif; ?>'],
    ['anonymous classes', '$o = new class { public function f() {} };'],
  ];

  it.each(valid)('%s', (_name, code) => {
    expect(findPhp72Violations(`<?php\n${code}\n`)).toEqual([]);
  });
});
