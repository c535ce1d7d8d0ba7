/**
 * The DB spans each page of examples/legacy-app must produce, worked out by
 * reading the pages (see its README's "Pages" table): which traced call runs,
 * in order, with the sanitised statement text. Connect spans carry no text.
 *
 * `all` is whether `rewrite --all` ran: without it, customers.php and
 * low_stock.php (raw procedural mysqli outside the wrapper layer) are not
 * rewritten and give no DB spans, as the audit's coverage row
 * tracekit-wrap-entry-points says.
 */
import type { Page } from '../helpers/legacy-pages.js';

export type { Page };

export interface ExpectedSpan {
  call: string;
  text?: string;
  operation: string;
  errno?: number;
}

export function pageKey(page: Page): string {
  const query = new URLSearchParams(page.query).toString();
  return `${page.method} ${page.path}${query ? `?${query}` : ''}${page.body ? ` ${new URLSearchParams(page.body).toString()}` : ''}`;
}

const q = (text: string, call = 'mysqli_query'): ExpectedSpan => ({ call, text, operation: text.split(' ')[0]!.toUpperCase() });
const connect: ExpectedSpan = { call: 'mysqli_connect', operation: 'CONNECT' };
const ooConnect: ExpectedSpan = { call: 'mysqli::__construct', operation: 'CONNECT' };
const pdoConnect: ExpectedSpan = { call: 'PDO::__construct', operation: 'CONNECT' };
const prepared = (prepare: string, execute: string, text: string): ExpectedSpan[] => [
  { call: prepare, text, operation: 'PREPARE' },
  { call: execute, text, operation: text.split(' ')[0]!.toUpperCase() },
];

const FIND_CUSTOMER = 'SELECT id, name, email, city FROM customers WHERE id = ?';
const CUSTOMER_ORDERS =
  'SELECT o.id, o.status, o.placed_on, SUM(i.qty * i.unit_price) AS total FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = ? GROUP BY o.id, o.status, o.placed_on ORDER BY o.id';
const REPORT =
  'SELECT p.sku, p.name, SUM(i.qty) AS units, SUM(i.qty * i.unit_price) AS revenue FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id WHERE :all = ? OR o.customer_id = :customer GROUP BY p.sku, p.name ORDER BY revenue DESC, p.sku';
const WHO = 'SELECT name FROM customers WHERE id = ?';
const FIND_PRODUCT = 'SELECT id, price FROM products WHERE sku = ?';
const ADD_LINE = 'INSERT INTO web_order_items (web_order_id, product_id, qty, unit_price) VALUES (?, ?, ?, ?)';
const UPDATE_TOTAL = 'UPDATE web_orders SET total = ? WHERE id = ?';
const pdo = (text: string, call: string): ExpectedSpan => q(text, call);
const execute = (text: string): ExpectedSpan => q(text, 'PDOStatement::execute');

export function expectedSpans(page: Page, options: { all: boolean }): ExpectedSpan[] {
  const key = pageKey(page);
  const table: Record<string, ExpectedSpan[]> = {
    'GET /index.php': [connect, q('SELECT COUNT(*) AS n FROM products'), q('SELECT COUNT(*) AS n FROM customers'), q('SELECT COUNT(*) AS n FROM orders WHERE status = ?')],
    'GET /products.php': [connect, q('SELECT id, sku, name, price, stock FROM products ORDER BY name')],
    'GET /product.php?id=4': [
      connect,
      q('SELECT id, sku, name, description, price, stock FROM products WHERE id = ?'),
      q('SELECT COALESCE(SUM(qty), ?) AS units FROM order_items WHERE product_id = ?'),
    ],
    'GET /product.php?id=999': [connect, q('SELECT id, sku, name, description, price, stock FROM products WHERE id = ?')],
    'GET /product.php?id=abc': [],
    'GET /search.php?q=tea': [connect, q('SELECT id, sku, name, price, stock FROM products WHERE name LIKE ? OR sku LIKE ? ORDER BY name')],
    'GET /search.php?q=100%25': [connect, q('SELECT id, sku, name, price, stock FROM products WHERE name LIKE ? OR sku LIKE ? ORDER BY name')],
    'GET /search.php': [],
    'GET /customers.php': options.all ? [connect, q('SELECT id, name, city FROM customers ORDER BY name')] : [],
    'GET /customers.php?city=Leeds': options.all ? [connect, q('SELECT id, name, city FROM customers WHERE city = ? ORDER BY name')] : [],
    'GET /customer.php?id=1': [ooConnect, ...prepared('mysqli::prepare', 'mysqli_stmt::execute', FIND_CUSTOMER), ...prepared('mysqli::prepare', 'mysqli_stmt::execute', CUSTOMER_ORDERS)],
    'GET /customer.php?id=7': [ooConnect, ...prepared('mysqli::prepare', 'mysqli_stmt::execute', FIND_CUSTOMER), ...prepared('mysqli::prepare', 'mysqli_stmt::execute', CUSTOMER_ORDERS)],
    'GET /customer.php?id=999': [ooConnect, ...prepared('mysqli::prepare', 'mysqli_stmt::execute', FIND_CUSTOMER)],
    'GET /orders.php': [
      connect,
      q(
        'SELECT o.id, c.name AS customer, o.status, o.placed_on, SUM(i.qty * i.unit_price) AS total FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_items i ON i.order_id = o.id GROUP BY o.id, c.name, o.status, o.placed_on ORDER BY o.id',
      ),
    ],
    'GET /order.php?id=3': [
      connect,
      q('SELECT o.id, o.status, o.placed_on, c.name AS customer FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?'),
      q('SELECT p.sku, p.name, i.qty, i.unit_price FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = ? ORDER BY p.sku'),
    ],
    'GET /order.php?id=999': [connect, q('SELECT o.id, o.status, o.placed_on, c.name AS customer FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?')],
    'GET /low_stock.php': options.all ? [connect, ...prepared('mysqli_prepare', 'mysqli_stmt_execute', 'SELECT sku, name, stock FROM products WHERE stock <= ? ORDER BY stock, sku')] : [],
    'GET /low_stock.php?max=x': [],
    'GET /report.php': [pdoConnect, pdo('SELECT id, name FROM customers ORDER BY name', 'PDO::query'), ...prepared('PDO::prepare', 'PDOStatement::execute', REPORT)],
    'GET /report.php?customer=1': [pdoConnect, pdo('SELECT id, name FROM customers ORDER BY name', 'PDO::query'), ...prepared('PDO::prepare', 'PDOStatement::execute', REPORT)],
    'GET /checkout.php': [],
    'POST /checkout.php customer=2&items=TEA-001%3A2%2CMUG-001%3A1': [
      pdoConnect,
      { call: 'PDO::beginTransaction', operation: 'BEGIN' },
      ...prepared('PDO::prepare', 'PDOStatement::execute', WHO),
      pdo('INSERT INTO web_orders (customer_id, total) VALUES (?, ?)', 'PDO::exec'),
      { call: 'PDO::prepare', text: FIND_PRODUCT, operation: 'PREPARE' },
      { call: 'PDO::prepare', text: ADD_LINE, operation: 'PREPARE' },
      execute(FIND_PRODUCT),
      execute(ADD_LINE),
      execute(FIND_PRODUCT),
      execute(ADD_LINE),
      ...prepared('PDO::prepare', 'PDOStatement::execute', UPDATE_TOTAL),
      { call: 'PDO::commit', operation: 'COMMIT' },
    ],
    'POST /checkout.php customer=2&items=TEA-001%3A1%2CNOPE-999%3A1': [
      pdoConnect,
      { call: 'PDO::beginTransaction', operation: 'BEGIN' },
      ...prepared('PDO::prepare', 'PDOStatement::execute', WHO),
      pdo('INSERT INTO web_orders (customer_id, total) VALUES (?, ?)', 'PDO::exec'),
      { call: 'PDO::prepare', text: FIND_PRODUCT, operation: 'PREPARE' },
      { call: 'PDO::prepare', text: ADD_LINE, operation: 'PREPARE' },
      execute(FIND_PRODUCT),
      execute(ADD_LINE),
      execute(FIND_PRODUCT),
      { call: 'PDO::rollBack', operation: 'ROLLBACK' },
    ],
    'POST /checkout.php customer=2&items=TEA-001': [],
    'GET /contact.php': [],
    'POST /contact.php name=Zo%C3%AB+O%27Neil&email=zoe%40example.com&topic=order&message=Where+is+order+%237%3F': [
      connect,
      q('INSERT INTO messages (name, email, body) VALUES (?, ?, ?)'),
      q('INSERT INTO message_topics (message_id, topic) VALUES (?, ?)'),
    ],
    'POST /contact.php name=&email=&message=': [],
    'GET /broken.php': [connect, { ...q('SELECT id, title, body FROM news ORDER BY id DESC'), errno: 1146 }],
    'GET /stats.php': [
      connect,
      ...['customers', 'products', 'orders', 'order_items'].map((t) => q(`SELECT ? FROM \`${t}\``)),
      q('SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status'),
    ],
    'GET /about.php': [],
    'GET /admin/index.php': [
      ooConnect,
      q(
        'SELECT o.status, COUNT(DISTINCT o.id) AS orders, SUM(i.qty * i.unit_price) AS revenue FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.status ORDER BY o.status',
        'mysqli::query',
      ),
    ],
  };
  const expected = table[key];
  if (expected === undefined) throw new Error(`no expected spans written down for ${key}: add the page to test/hooks/expected-spans.ts`);
  return expected;
}
