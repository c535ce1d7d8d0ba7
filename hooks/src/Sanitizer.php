<?php
namespace Tracekit\Hooks;

/**
 * Turns SQL into a text safe to export: string, number and hex literals
 * become `?`, comments go, `IN (?, ?, …)` collapses to `IN (?)`, and runs of
 * whitespace become one space. Quoted identifiers (`name`) and placeholders
 * (?, :name) are kept. A string left open at the end (a truncated statement)
 * is still replaced, so no literal can leak through a cut.
 *
 * One regular expression walks the text left to right, so a quote inside a
 * comment or a comment marker inside a string is read the way MySQL reads it.
 */
final class Sanitizer
{
    const PATTERN = '~
        (?<str> \'(?:[^\'\\\\]|\\\\.|\'\')*(?:\'|\z) | "(?:[^"\\\\]|\\\\.|"")*(?:"|\z) )
      | (?<ident> `(?:[^`]|``)*(?:`|\z) )
      | (?<comment> /\*.*?(?:\*/|\z) | --(?=[ \t\r\n]|\z)[^\n]* | \#[^\n]* )
      | (?<num> (?<![\w$.])(?:0x[0-9A-Fa-f]+|0b[01]+|[xX]\'[0-9A-Fa-f]*\'|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?![\w$]) )
      | (?<param> :[A-Za-z_][\w]* )
    ~xs';

    public static function sanitize(string $sql): string
    {
        $out = \preg_replace_callback(self::PATTERN, [self::class, 'replace'], $sql);
        if (!\is_string($out)) {
            // PCRE gave up (backtrack limit): export nothing rather than the raw text.
            return '?';
        }
        $out = \preg_replace('/\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)/i', 'IN (?)', $out);
        $out = \preg_replace('/\s+/', ' ', (string) $out);
        return \trim((string) $out);
    }

    /** @param array<int|string, string> $m */
    private static function replace(array $m): string
    {
        if (isset($m['str']) && $m['str'] !== '') {
            return '?';
        }
        if (isset($m['ident']) && $m['ident'] !== '') {
            return $m['ident'];
        }
        if (isset($m['comment']) && $m['comment'] !== '') {
            return ' ';
        }
        if (isset($m['num']) && $m['num'] !== '') {
            return '?';
        }
        return $m[0];
    }
}
