#!/usr/bin/env node
// Builds the two trees the audit benchmark runs on (never committed; they go
// under .bench-tmp/ by default):
//
//   grown      examples/legacy-app copied into N subdirectories, with its
//              global function, class and namespace names suffixed per copy
//              so the whole tree is still one valid PHP project (>= 10,000
//              files by default).
//   generated  a ~50 MB tree shaped like a mature legacy application, made
//              from a seeded PRNG so the same options give the same bytes.
//              The mix is described in BENCHMARKS.md (## audit) and printed
//              by --describe.
//
// Usage: node bench/audit/make-trees.mjs [--out DIR] [--copies N] [--mb N] [--seed N] [--only grown|generated] [--force]
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../lib/prng.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleDir = path.join(repoRoot, 'examples/legacy-app');

export const DEFAULTS = Object.freeze({ out: path.join(repoRoot, '.bench-tmp'), copies: 345, mb: 50, seed: 20240607 });

// ---------------------------------------------------------------------------
// grown: copies of the example

/** Global names the example declares; each copy gets its own. */
const EXAMPLE_FUNCTIONS = [
  'legacy_env', 'db_connect', 'db_query', 'db_fetch_all', 'db_fetch_one', 'db_escape', 'db_insert_id', 'db_errno',
  'mysqli_result_to_array', 'mysqli_quote', 'shop_pdo', 'money', 'render_page', 'render_error', 'render',
  'request_int', 'post_field', 'nav_items',
];
/** Short names are only renamed where they are called or declared. */
const EXAMPLE_SHORT_FUNCTIONS = ['h', 't'];

function renameForCopy(source, suffix) {
  let out = source;
  for (const name of EXAMPLE_FUNCTIONS) out = out.replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}_${suffix}`);
  for (const name of EXAMPLE_SHORT_FUNCTIONS) out = out.replace(new RegExp(`(?<![\\w$>:])${name}\\(`, 'g'), `${name}_${suffix}(`);
  out = out.replace(/\bCustomerRepository\b/g, `CustomerRepository_${suffix}`);
  out = out.replace(/Legacy\\Stats/g, `Legacy\\Stats${suffix}`);
  return out;
}

async function listExampleFiles(dir, rel = '') {
  const out = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listExampleFiles(path.join(dir, entry.name), relPath)));
    else out.push(relPath);
  }
  return out;
}

export async function makeGrownTree(dest, copies) {
  const files = await listExampleFiles(exampleDir);
  const sources = new Map();
  for (const f of files) sources.set(f, await readFile(path.join(exampleDir, f), 'utf8'));
  let phpFiles = 0;
  let bytes = 0;
  for (let i = 1; i <= copies; i++) {
    const suffix = `c${String(i).padStart(4, '0')}`;
    const base = path.join(dest, `site-${suffix}`);
    for (const f of files) {
      const target = path.join(base, f);
      await mkdir(path.dirname(target), { recursive: true });
      const text = /\.(php|inc|phtml)$/i.test(f) ? renameForCopy(sources.get(f), suffix) : sources.get(f);
      await writeFile(target, text);
      if (/\.(php|inc|phtml)$/i.test(f)) {
        phpFiles++;
        bytes += Buffer.byteLength(text);
      }
    }
  }
  return { phpFiles, phpBytes: bytes };
}

// ---------------------------------------------------------------------------
// generated: a mature legacy application

class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }
  chance(p) {
    return this.next() < p;
  }
  /** A file size in bytes: mostly small, a long tail of big files. */
  size(medianKiB, maxKiB) {
    const u = this.next();
    const kib = Math.min(maxKiB, medianKiB * Math.exp((u - 0.5) * 2.4));
    return Math.round(kib * 1024);
  }
}

const MODULES = [
  'shop', 'catalog', 'cart', 'checkout', 'customers', 'crm', 'billing', 'invoices', 'shipping', 'stock', 'suppliers',
  'purchasing', 'returns', 'support', 'tickets', 'newsletter', 'blog', 'cms', 'pages', 'media', 'users', 'auth',
  'admin', 'settings', 'reports', 'exports', 'imports', 'api', 'cron', 'partners', 'affiliates', 'coupons', 'gifts',
  'loyalty', 'reviews', 'search', 'sitemap', 'i18n', 'tax', 'payments',
];
const TABLES = ['customers', 'orders', 'order_items', 'products', 'categories', 'invoices', 'payments', 'shipments', 'suppliers', 'tickets', 'users', 'sessions', 'coupons', 'reviews', 'stock_moves', 'audit_log', 'newsletters', 'pages', 'media', 'settings'];
const COLUMNS = ['id', 'name', 'status', 'created_at', 'updated_at', 'email', 'title', 'amount', 'qty', 'price', 'code', 'city', 'country', 'note', 'user_id', 'customer_id', 'product_id', 'position', 'active', 'sort_order'];
const WORDS = [
  'order', 'customer', 'invoice', 'product', 'stock', 'price', 'total', 'status', 'shipping', 'address', 'payment', 'refund',
  'discount', 'category', 'supplier', 'account', 'profile', 'password', 'newsletter', 'message', 'ticket', 'review',
  'choice', 'select', 'filter', 'search', 'export', 'report', 'summary', 'detail', 'list', 'edit', 'delete', 'save',
  'tooltip', 'modal', 'pagination', 'sortable', 'widget', 'banner', 'sidebar', 'footer',
];
// None of WORDS and COMMENT_LINES holds a word the audit's prefilter looks
// for (query, prepare, exec, commit, pdo, mysql, ...); TRAPS do, and go into
// a share of the files that have no DB code, as in real code.
export const TRAP_SHARE = 0.2;
const TRAPS = [
  'Pick the status from the dropdown.',
  'The query string keeps the page state; jQuery reads it.',
  'Execute the export once per night, never twice.',
  'Prepare the invoice before printing it.',
  'Commit the form only after the preview.',
  'Reports moved to PDO in 2017; the rest still uses mysqli.',
  'The old mysql_* calls were replaced by the db_* wrapper in 2013.',
  'TODO: move this query into the model layer one day.',
];
const COMMENT_LINES = [
  'Legacy code: do not touch without talking to the shop team first.',
  'See ticket #4711 for why the list is rendered server side.',
  'Prices are stored in cents since 2015; older rows were converted.',
  'Keep in sync with the export format used by the accounting tool.',
  'This used to be a stored procedure; it was moved to PHP for the migration.',
  'Written for the 2011 relaunch; still in use.',
];

let trapOn = false;
let trapPending = false;

/** A comment line: in a trap file the first one is a trap, later ones now and then. */
function commentLine(rng) {
  if (trapPending || (trapOn && rng.chance(0.3))) {
    trapPending = false;
    return rng.pick(TRAPS);
  }
  return rng.pick(COMMENT_LINES);
}

function ident(rng) {
  return `${rng.pick(WORDS).replace(/[^a-z]/gi, '')}_${rng.pick(WORDS).replace(/[^a-z]/gi, '')}`.toLowerCase();
}

function phpString(text) {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sentence(rng, words = rng.int(4, 12)) {
  const out = [];
  for (let i = 0; i < words; i++) out.push(rng.pick(WORDS));
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function docComment(rng, indent = '') {
  const lines = [`${indent}/**`];
  lines.push(`${indent} * ${commentLine(rng)}`);
  for (let i = rng.int(0, 3); i > 0; i--) lines.push(`${indent} * ${rng.chance(0.5) ? commentLine(rng) : sentence(rng)}`);
  lines.push(`${indent} */`);
  return lines.join('\n');
}

function htmlBlock(rng) {
  const kind = rng.int(0, 3);
  const rows = [];
  if (kind === 0) {
    rows.push('<table class="list">', '  <tr>' + COLUMNS.slice(0, rng.int(3, 7)).map((c) => `<th>${c}</th>`).join('') + '</tr>');
    for (let i = rng.int(3, 25); i > 0; i--) rows.push(`  <tr><td>${rng.int(1, 9999)}</td><td>${sentence(rng, 3)}</td><td class="num">${rng.int(1, 999)}.${rng.int(10, 99)}</td></tr>`);
    rows.push('</table>');
  } else if (kind === 1) {
    rows.push(`<form method="post" action="?action=${ident(rng)}">`);
    for (let i = rng.int(2, 8); i > 0; i--) rows.push(`  <label>${sentence(rng, 2)} <input type="text" name="${ident(rng)}" value=""></label>`);
    rows.push(`  <select name="${ident(rng)}" class="${trapOn && rng.chance(0.5) ? 'dropdown' : 'choice'}">`);
    for (let i = rng.int(3, 15); i > 0; i--) rows.push(`    <option value="${i}">${sentence(rng, 2)}</option>`);
    rows.push('  </select>', '  <button type="submit">Save</button>', '</form>');
  } else if (kind === 2) {
    rows.push('<div class="panel">');
    for (let i = rng.int(2, 8); i > 0; i--) rows.push(`  <p>${trapOn && rng.chance(0.2) ? rng.pick(TRAPS) : sentence(rng, rng.int(8, 30))}</p>`);
    rows.push('</div>');
  } else {
    rows.push('<ul class="menu">');
    for (let i = rng.int(4, 14); i > 0; i--) rows.push(`  <li><a href="/${rng.pick(MODULES)}/${ident(rng)}.php">${sentence(rng, 2)}</a></li>`);
    rows.push('</ul>');
  }
  return rows.join('\n');
}

// Blocks of page code that reach the database through the wrapper.
function wrapperBlock(rng, v) {
  const table = rng.pick(TABLES);
  const col = rng.pick(COLUMNS);
  switch (rng.int(0, 5)) {
    case 0:
      return [
        `$${v} = db_fetch_all('SELECT id, ${col}, status FROM ${table} WHERE active = 1 ORDER BY id DESC LIMIT ' . (int) $limit);`,
        `if ($${v} === false) {`,
        `    $errors[] = 'Could not load ${table}: ' . db_error();`,
        `    $${v} = array();`,
        '}',
      ].join('\n');
    case 1:
      return [
        `$${v} = db_fetch_one('SELECT COUNT(*) AS n FROM ${table} WHERE ${col} = \\'' . db_escape($filter) . '\\'');`,
        `$counts['${table}'] = $${v} ? (int) $${v}['n'] : 0;`,
      ].join('\n');
    case 2:
      return [
        `if ($_SERVER['REQUEST_METHOD'] === 'POST' && isset($_POST['${col}'])) {`,
        `    $ok = db_query("UPDATE ${table} SET ${col} = '" . db_escape($_POST['${col}']) . "' WHERE id = " . (int) $id);`,
        '    if (!$ok) {',
        `        $errors[] = 'Save failed (' . db_error() . ')';`,
        '    }',
        '}',
      ].join('\n');
    case 3:
      return [
        `$res = db_query('SELECT id, ${col} FROM ${table} ORDER BY ${col} LIMIT 100');`,
        'while ($res && ($row = db_fetch_assoc($res))) {',
        `    $${v}[$row['id']] = $row['${col}'];`,
        '}',
      ].join('\n');
    case 4:
      return [
        `db_query("INSERT INTO ${table} (${col}, created_at) VALUES ('" . db_escape($value) . "', NOW())");`,
        `$newId = db_insert_id();`,
        `log_event('${table}', $newId);`,
      ].join('\n');
    default:
      return [
        `$${v} = db_fetch_one('SELECT * FROM ${table} WHERE id = ' . (int) $id);`,
        `if (!$${v}) {`,
        `    not_found('${table}');`,
        '}',
      ].join('\n');
  }
}

function pageFile(rng, target, mod, name) {
  const parts = [
    '<?php',
    `/*\n * ${mod}/${name}: ${sentence(rng, 6)}\n * ${commentLine(rng)}\n */`,
    "require_once __DIR__ . '/../../../inc/bootstrap.php';",
    '',
    "$id = isset($_GET['id']) ? (int) $_GET['id'] : 0;",
    "$limit = isset($_GET['limit']) ? (int) $_GET['limit'] : 50;",
    "$filter = isset($_GET['filter']) ? (string) $_GET['filter'] : '';",
    "$value = isset($_POST['value']) ? (string) $_POST['value'] : '';",
    '$errors = array();',
    '$counts = array();',
    '',
  ];
  let i = 0;
  for (let n = rng.int(1, 5); n > 0; n--) parts.push(wrapperBlock(rng, `data${i++}`), '');
  parts.push(`render_header(${phpString(sentence(rng, 3))});`, '?>');
  let size = parts.join('\n').length;
  while (size < target) {
    const block = rng.chance(0.3)
      ? `<?php foreach ($data0 ?? array() as $k => $row): ?>\n  <div class="row"><?= h($k) ?>: <?= h(is_array($row) ? implode(', ', $row) : $row) ?></div>\n<?php endforeach; ?>`
      : htmlBlock(rng);
    parts.push(block);
    size += block.length + 1;
  }
  parts.push('<?php render_footer();', '');
  return parts.join('\n');
}

function rawMysqliPage(rng, target, mod, name) {
  const table = rng.pick(TABLES);
  const parts = [
    '<?php',
    `// ${mod}/${name}: written before inc/db.php existed. ${commentLine(rng)}`,
    "require_once __DIR__ . '/../../../inc/config.php';",
    "$link = mysqli_connect($CONFIG['db_host'], $CONFIG['db_user'], $CONFIG['db_pass'], $CONFIG['db_name']);",
    "if (!$link) { die('Database unavailable: ' . mysqli_connect_error()); }",
    "mysqli_set_charset($link, 'utf8');",
    `$result = mysqli_query($link, 'SELECT id, name FROM ${table} ORDER BY id LIMIT 200');`,
    '$rows = array();',
    'while ($row = mysqli_fetch_assoc($result)) {',
    '    $rows[] = $row;',
    '}',
    'mysqli_free_result($result);',
  ];
  if (rng.chance(0.5)) {
    parts.push(
      `$stmt = mysqli_prepare($link, 'UPDATE ${table} SET updated_at = NOW() WHERE id = ?');`,
      "$id = isset($_GET['id']) ? (int) $_GET['id'] : 0;",
      "mysqli_stmt_bind_param($stmt, 'i', $id);",
      'mysqli_stmt_execute($stmt);',
      'mysqli_stmt_close($stmt);',
    );
  }
  parts.push('?>');
  let size = parts.join('\n').length;
  while (size < target) {
    const block = htmlBlock(rng);
    parts.push(block);
    size += block.length + 1;
  }
  parts.push('<?php mysqli_close($link);', '');
  return parts.join('\n');
}

function modelFile(rng, target, cls) {
  const table = rng.pick(TABLES);
  const parts = ['<?php', docComment(rng), `class ${cls}`, '{', '    /** @var mysqli */', '    private $db;', '', '    public function __construct(mysqli $db)', '    {', '        $this->db = $db;', '    }', ''];
  let size = parts.join('\n').length;
  let m = 0;
  while (size < target || m < 2) {
    const col = rng.pick(COLUMNS);
    const method = [
      docComment(rng, '    '),
      `    public function findBy${col.replace(/(^|_)(\w)/g, (_x, _y, c) => c.toUpperCase())}${m++}($value)`,
      '    {',
      `        $stmt = $this->db->prepare('SELECT * FROM ${table} WHERE ${col} = ? LIMIT 100');`,
      '        if (!$stmt) {',
      '            return array();',
      '        }',
      "        $stmt->bind_param('s', $value);",
      '        $stmt->execute();',
      '        $result = $stmt->get_result();',
      '        $rows = array();',
      '        while ($row = $result->fetch_assoc()) {',
      '            $rows[] = $row;',
      '        }',
      '        $stmt->close();',
      '        return $rows;',
      '    }',
      '',
    ].join('\n');
    parts.push(method);
    size += method.length + 1;
  }
  parts.push('}', '');
  return parts.join('\n');
}

function pdoReportFile(rng, target, mod, name) {
  const table = rng.pick(TABLES);
  const col = rng.pick(COLUMNS);
  const parts = [
    '<?php',
    `/*\n * Report ${mod}/${name} (PDO). ${commentLine(rng)}\n */`,
    "require_once __DIR__ . '/../../../inc/bootstrap.php';",
    "require_once __DIR__ . '/../../../inc/pdo.php';",
    '',
    "$from = isset($_GET['from']) ? (string) $_GET['from'] : '2000-01-01';",
    'try {',
    '    $pdo = report_pdo();',
    `    $stmt = $pdo->prepare('SELECT ${col}, COUNT(*) AS n, SUM(amount) AS total FROM ${table} WHERE created_at >= :from GROUP BY ${col} ORDER BY total DESC');`,
    "    $stmt->bindValue(':from', $from, PDO::PARAM_STR);",
    '    $stmt->execute();',
    '    $rows = $stmt->fetchAll(PDO::FETCH_ASSOC);',
  ];
  if (rng.chance(0.3)) {
    parts.push('    $pdo->beginTransaction();', `    $pdo->exec("DELETE FROM report_cache WHERE report = '${name}'");`, '    $pdo->commit();');
  }
  parts.push('} catch (PDOException $e) {', "    $rows = array();", "    report_error($e->getMessage());", '}', `render_header('Report: ${name}');`, '?>');
  let size = parts.join('\n').length;
  while (size < target) {
    const block = htmlBlock(rng);
    parts.push(block);
    size += block.length + 1;
  }
  parts.push('<?php render_footer();', '');
  return parts.join('\n');
}

function templateFile(rng, target) {
  const parts = [`<?php /* ${commentLine(rng)} */ ?>`, `<h2><?= h($title) ?></h2>`];
  let size = parts.join('\n').length;
  while (size < target) {
    const block = rng.chance(0.25)
      ? `<?php if (!empty($items)): ?>\n<?php foreach ($items as $item): ?>\n  <div class="item"><?= h($item['name']) ?> <span><?= h($item['status']) ?></span></div>\n<?php endforeach; ?>\n<?php endif; ?>`
      : htmlBlock(rng);
    parts.push(block);
    size += block.length + 1;
  }
  parts.push('');
  return parts.join('\n');
}

function libFile(rng, target, prefix) {
  const parts = ['<?php', docComment(rng)];
  let size = parts.join('\n').length;
  let n = 0;
  while (size < target || n === 0) {
    const fn = `${prefix}_${ident(rng)}_${n++}`;
    const body = rng.pick([
      ["    $out = array();", '    foreach ((array) $input as $k => $v) {', "        $out[] = trim((string) $k) . '=' . urlencode((string) $v);", '    }', "    return implode('&', $out);"],
      ['    $value = (string) $input;', "    if (preg_match('/^[A-Za-z0-9_.-]+$/', $value) !== 1) {", '        return false;', '    }', '    return strtolower($value);'],
      ['    $n = (float) $input;', "    return number_format($n / 100, 2, ',', '.');"],
      ["    $words = preg_split('/\\s+/', (string) $input);", '    $words = array_filter($words, \'strlen\');', "    return ucfirst(implode(' ', array_slice($words, 0, 20)));"],
      ["    static $cache = array();", '    $key = md5(serialize($input));', '    if (!isset($cache[$key])) {', "        $cache[$key] = json_encode($input);", '    }', '    return $cache[$key];'],
    ]);
    const fnText = [docComment(rng), `function ${fn}($input)`, '{', ...body, '}', ''].join('\n');
    parts.push(fnText);
    size += fnText.length + 1;
  }
  return parts.join('\n');
}

function langFile(rng, target, lang) {
  const parts = ['<?php', `// ${lang} strings. ${commentLine(rng)}`, '$LANG = isset($LANG) ? $LANG : array();'];
  let size = parts.join('\n').length;
  let n = 0;
  while (size < target) {
    const line = `$LANG['${ident(rng)}_${n++}'] = ${phpString(sentence(rng))};`;
    parts.push(line);
    size += line.length + 1;
  }
  parts.push('');
  return parts.join('\n');
}

function incFile(rng, target) {
  const parts = ['<?php', `// Menu fragment. ${commentLine(rng)}`, '$MENU = isset($MENU) ? $MENU : array();'];
  let size = parts.join('\n').length;
  while (size < target) {
    const line = `$MENU[] = array('href' => '/${rng.pick(MODULES)}/${ident(rng)}.php', 'label' => ${phpString(sentence(rng, 2))}, 'perm' => '${rng.pick(WORDS).replace(/[^a-z]/gi, '')}');`;
    parts.push(line);
    size += line.length + 1;
  }
  parts.push('');
  return parts.join('\n');
}

const CORE_FILES = {
  'inc/config.php': [
    '<?php',
    '// Site configuration (generated benchmark tree).',
    '$CONFIG = array(',
    "    'db_host' => getenv('DB_HOST') ?: 'localhost',",
    "    'db_user' => getenv('DB_USER') ?: 'app',",
    "    'db_pass' => getenv('DB_PASS') ?: 'app',",
    "    'db_name' => getenv('DB_NAME') ?: 'app',",
    ');',
    '',
  ].join('\n'),
  'inc/db.php': [
    '<?php',
    '/* The database wrapper every page uses (procedural mysqli). */',
    "require_once __DIR__ . '/config.php';",
    '',
    'function db_link()',
    '{',
    '    static $link = null;',
    '    global $CONFIG;',
    '    if ($link === null) {',
    "        $link = mysqli_connect($CONFIG['db_host'], $CONFIG['db_user'], $CONFIG['db_pass'], $CONFIG['db_name']);",
    "        mysqli_set_charset($link, 'utf8');",
    '    }',
    '    return $link;',
    '}',
    '',
    'function db_query($sql)',
    '{',
    '    return mysqli_query(db_link(), $sql);',
    '}',
    '',
    'function db_fetch_assoc($result)',
    '{',
    '    return mysqli_fetch_assoc($result);',
    '}',
    '',
    'function db_fetch_all($sql)',
    '{',
    '    $result = db_query($sql);',
    '    if (!$result) {',
    '        return false;',
    '    }',
    '    $rows = array();',
    '    while ($row = mysqli_fetch_assoc($result)) {',
    '        $rows[] = $row;',
    '    }',
    '    mysqli_free_result($result);',
    '    return $rows;',
    '}',
    '',
    'function db_fetch_one($sql)',
    '{',
    '    $result = db_query($sql);',
    '    if (!$result) {',
    '        return false;',
    '    }',
    '    $row = mysqli_fetch_assoc($result);',
    '    mysqli_free_result($result);',
    '    return $row;',
    '}',
    '',
    'function db_escape($value)',
    '{',
    '    return mysqli_real_escape_string(db_link(), (string) $value);',
    '}',
    '',
    'function db_insert_id()',
    '{',
    '    return mysqli_insert_id(db_link());',
    '}',
    '',
    'function db_error()',
    '{',
    '    return mysqli_error(db_link());',
    '}',
    '',
  ].join('\n'),
  'inc/pdo.php': [
    '<?php',
    '/* PDO for the reporting module. */',
    "require_once __DIR__ . '/config.php';",
    '',
    '/** @return PDO */',
    'function report_pdo()',
    '{',
    '    static $pdo = null;',
    '    global $CONFIG;',
    '    if ($pdo === null) {',
    "        $pdo = new PDO('mysql:host=' . $CONFIG['db_host'] . ';dbname=' . $CONFIG['db_name'], $CONFIG['db_user'], $CONFIG['db_pass']);",
    '        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);',
    '    }',
    '    return $pdo;',
    '}',
    '',
    'function report_error($message)',
    '{',
    "    echo '<p class=\"error\">' . htmlspecialchars($message) . '</p>';",
    '}',
    '',
  ].join('\n'),
  'inc/bootstrap.php': [
    '<?php',
    "require_once __DIR__ . '/db.php';",
    '',
    'function h($value)',
    '{',
    "    return htmlspecialchars((string) $value, ENT_QUOTES, 'UTF-8');",
    '}',
    '',
    'function render_header($title)',
    '{',
    "    echo '<!DOCTYPE html><html><head><title>' . h($title) . '</title></head><body>';",
    '}',
    '',
    'function render_footer()',
    '{',
    "    echo '</body></html>';",
    '}',
    '',
    'function not_found($what)',
    '{',
    '    http_response_code(404);',
    "    echo 'Not found: ' . h($what);",
    '    exit;',
    '}',
    '',
    'function log_event($what, $id)',
    '{',
    "    error_log($what . ' ' . $id);",
    '}',
    '',
  ].join('\n'),
};

/**
 * The mix, by share of files (the rest of the bytes follow from the sizes):
 * kind, share, median KiB, max KiB.
 */
export const GENERATED_MIX = Object.freeze([
  { kind: 'page (db_* wrapper calls + inline HTML)', key: 'page', share: 0.34, medianKiB: 8, maxKiB: 60 },
  { kind: 'raw mysqli_* page', key: 'raw', share: 0.03, medianKiB: 7, maxKiB: 40 },
  { kind: 'model class (OO mysqli, prepare/bind_param/execute)', key: 'model', share: 0.03, medianKiB: 6, maxKiB: 30 },
  { kind: 'PDO report page', key: 'report', share: 0.07, medianKiB: 7, maxKiB: 40 },
  { kind: 'template .phtml (inline HTML, no DB)', key: 'template', share: 0.2, medianKiB: 10, maxKiB: 80 },
  { kind: 'library/utility code (no DB)', key: 'lib', share: 0.18, medianKiB: 6, maxKiB: 40 },
  { kind: 'language/config arrays', key: 'lang', share: 0.1, medianKiB: 14, maxKiB: 120 },
  { kind: '.inc menu/config fragments', key: 'inc', share: 0.05, medianKiB: 3, maxKiB: 20 },
]);

export async function makeGeneratedTree(dest, targetMiB, seed) {
  const rng = new Rng(seed);
  const target = targetMiB * 1024 * 1024;
  const counts = Object.fromEntries(GENERATED_MIX.map((m) => [m.key, 0]));
  let bytes = 0;
  let files = 0;
  const write = async (rel, text) => {
    const file = path.join(dest, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    bytes += Buffer.byteLength(text);
    files++;
  };
  for (const [rel, text] of Object.entries(CORE_FILES)) await write(rel, text);

  const cumulative = [];
  let acc = 0;
  for (const m of GENERATED_MIX) cumulative.push((acc += m.share));
  for (let n = 0; bytes < target; n++) {
    const u = rng.next() * acc;
    const mix = GENERATED_MIX[cumulative.findIndex((c) => u < c)] ?? GENERATED_MIX[0];
    const mod = MODULES[n % MODULES.length];
    const size = rng.size(mix.medianKiB, mix.maxKiB);
    const name = `${ident(rng)}_${n}`;
    counts[mix.key]++;
    trapOn = rng.chance(TRAP_SHARE);
    trapPending = trapOn;
    switch (mix.key) {
      case 'page':
        await write(`modules/${mod}/pages/${name}.php`, pageFile(rng, size, mod, name));
        break;
      case 'raw':
        await write(`modules/${mod}/pages/${name}.php`, rawMysqliPage(rng, size, mod, name));
        break;
      case 'model': {
        const cls = `${mod.charAt(0).toUpperCase()}${mod.slice(1)}Model${n}`;
        await write(`modules/${mod}/models/${cls}.php`, modelFile(rng, size, cls));
        break;
      }
      case 'report':
        await write(`modules/${mod}/reports/${name}.php`, pdoReportFile(rng, size, mod, name));
        break;
      case 'template':
        await write(`modules/${mod}/templates/${name}.phtml`, templateFile(rng, size));
        break;
      case 'lib':
        await write(`lib/${mod}/${name}.php`, libFile(rng, size, `${mod}${n}`));
        break;
      case 'lang':
        await write(`lang/${rng.pick(['en', 'de', 'fr', 'nl', 'it'])}/${mod}_${n}.php`, langFile(rng, size, mod));
        break;
      default:
        await write(`modules/${mod}/inc/${name}.inc`, incFile(rng, size));
        break;
    }
  }
  return { phpFiles: files, phpBytes: bytes, counts };
}

// ---------------------------------------------------------------------------

/** Makes (or reuses) the trees; returns { grown, generated } with their paths and sizes. */
export async function makeTrees({ out = DEFAULTS.out, copies = DEFAULTS.copies, mb = DEFAULTS.mb, seed = DEFAULTS.seed, only = null, force = false, log = () => {} } = {}) {
  const result = {};
  const example = createHash('sha256');
  for (const f of await listExampleFiles(exampleDir)) example.update(f).update(await readFile(path.join(exampleDir, f)));
  const specs = [
    { name: 'grown', params: { copies, example: example.digest('hex'), v: 1 }, make: (dir) => makeGrownTree(dir, copies) },
    { name: 'generated', params: { mb, seed, v: 2 }, make: (dir) => makeGeneratedTree(dir, mb, seed) },
  ];
  for (const spec of specs) {
    if (only !== null && only !== spec.name) continue;
    const dir = path.join(out, `audit-${spec.name}`);
    const stampFile = path.join(out, `audit-${spec.name}.json`);
    const params = JSON.stringify(spec.params);
    if (!force && existsSync(stampFile)) {
      const stamp = JSON.parse(await readFile(stampFile, 'utf8'));
      if (JSON.stringify(stamp.params) === params && existsSync(dir)) {
        log(`reusing ${dir} (${stamp.info.phpFiles} files)`);
        result[spec.name] = { dir, ...stamp.info };
        continue;
      }
    }
    await rm(dir, { recursive: true, force: true });
    await rm(stampFile, { force: true });
    log(`writing ${dir} ...`);
    const info = await spec.make(dir);
    await writeFile(stampFile, JSON.stringify({ params: spec.params, info }, null, 2));
    log(`  ${info.phpFiles} PHP files, ${(info.phpBytes / 1048576).toFixed(1)} MiB`);
    result[spec.name] = { dir, ...info };
  }
  return result;
}

function parseArgs(argv) {
  const opts = { out: DEFAULTS.out, copies: DEFAULTS.copies, mb: DEFAULTS.mb, seed: DEFAULTS.seed, only: null, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} expects a value`);
      return v;
    };
    if (a === '--out') opts.out = path.resolve(value());
    else if (a === '--copies') opts.copies = Number(value());
    else if (a === '--mb') opts.mb = Number(value());
    else if (a === '--seed') opts.seed = Number(value());
    else if (a === '--only') opts.only = value();
    else if (a === '--force') opts.force = true;
    else throw new Error(`unknown argument ${a}; usage: make-trees.mjs [--out DIR] [--copies N] [--mb N] [--seed N] [--only grown|generated] [--force]`);
  }
  for (const k of ['copies', 'mb', 'seed']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} expects a positive whole number, found ${opts[k]}`);
  }
  if (opts.only !== null && opts.only !== 'grown' && opts.only !== 'generated') throw new Error(`--only expects grown or generated, found ${opts.only}`);
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const trees = await makeTrees({ ...opts, log: (m) => process.stderr.write(`${m}\n`) });
    process.stdout.write(`${JSON.stringify(trees, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`make-trees: ${error.message}\n`);
    process.exitCode = 2;
  }
}
