/**
 * What the audit rules look for: the built-in names of PHP's database APIs.
 * Every name is lower case (PHP function and class names are
 * case-insensitive). The mysqli list follows the PHP manual's function
 * reference for ext/mysqli (PHP 7.2–8.4, including its documented aliases);
 * test/analyzers/catalog.test.ts checks it against the extension loaded in
 * php-cli.
 */

const MYSQLI_FUNCTION_NAMES = `
affected_rows autocommit begin_transaction change_user character_set_name close commit connect
connect_errno connect_error data_seek debug dump_debug_info errno error error_list escape_string
execute execute_query fetch_all fetch_array fetch_assoc fetch_column fetch_field fetch_field_direct
fetch_fields fetch_lengths fetch_object fetch_row field_count field_seek field_tell free_result
get_charset get_client_info get_client_stats get_client_version get_connection_stats get_host_info
get_links_stats get_proto_info get_server_info get_server_version get_warnings info init insert_id
kill more_results multi_query next_result num_fields num_rows options ping poll prepare query
real_connect real_escape_string real_query reap_async_query refresh release_savepoint report
rollback savepoint select_db set_charset set_opt sqlstate ssl_set stat store_result thread_id
thread_safe use_result warning_count
stmt_affected_rows stmt_attr_get stmt_attr_set stmt_bind_param stmt_bind_result stmt_close
stmt_data_seek stmt_errno stmt_error stmt_error_list stmt_execute stmt_fetch stmt_field_count
stmt_free_result stmt_get_result stmt_get_warnings stmt_init stmt_insert_id stmt_more_results
stmt_next_result stmt_num_rows stmt_param_count stmt_prepare stmt_reset stmt_result_metadata
stmt_send_long_data stmt_sqlstate stmt_store_result
`;

/** Built-in `mysqli_*` functions. */
export const MYSQLI_FUNCTIONS: ReadonlySet<string> = new Set(
  MYSQLI_FUNCTION_NAMES.split(/\s+/).filter(Boolean).map((n) => `mysqli_${n}`),
);

/**
 * The procedural mysqli functions that talk to the server and become spans
 * in every agent (connect, query, prepare/execute, transactions; see
 * ../shared/REFERENCE.md). Fetch, bind, escape, error and close calls do not.
 * Coverage counts these, and tracekit's wrappers trace exactly these.
 */
export const MYSQLI_SPAN_FUNCTIONS: readonly string[] = [
  'mysqli_connect',
  'mysqli_real_connect',
  'mysqli_query',
  'mysqli_real_query',
  'mysqli_multi_query',
  'mysqli_execute_query',
  'mysqli_prepare',
  'mysqli_stmt_prepare',
  'mysqli_stmt_execute',
  'mysqli_begin_transaction',
  'mysqli_commit',
  'mysqli_rollback',
];

const MYSQL_FUNCTION_NAMES = `
affected_rows client_encoding close connect create_db data_seek db_name db_query drop_db errno
error escape_string fetch_array fetch_assoc fetch_field fetch_lengths fetch_object fetch_row
field_flags field_len field_name field_seek field_table field_type free_result get_client_info
get_host_info get_proto_info get_server_info info insert_id list_dbs list_fields list_processes
list_tables num_fields num_rows pconnect ping query real_escape_string result select_db
set_charset stat tablename thread_id unbuffered_query
createdb dbname dropdb fieldflags fieldlen fieldname fieldtable fieldtype freeresult listdbs
listfields listtables numfields numrows selectdb table_name
`;

/** Functions of the old ext/mysql, removed in PHP 7.0 (with their PHP 4 aliases). */
export const LEGACY_MYSQL_FUNCTIONS: ReadonlySet<string> = new Set(
  MYSQL_FUNCTION_NAMES.split(/\s+/).filter(Boolean).map((n) => `mysql_${n}`),
);

/** Function-name prefixes of the other database extensions counted as "other". */
export const OTHER_FUNCTION_PREFIXES: ReadonlyArray<readonly [prefix: string, api: 'pgsql' | 'sqlsrv' | 'oci8']> = [
  ['pg_', 'pgsql'],
  ['sqlsrv_', 'sqlsrv'],
  ['oci_', 'oci8'],
];

export const MYSQLI_CLASSES: ReadonlySet<string> = new Set([
  'mysqli',
  'mysqli_stmt',
  'mysqli_result',
  'mysqli_driver',
  'mysqli_warning',
  'mysqli_sql_exception',
]);

export const PDO_CLASSES: ReadonlySet<string> = new Set(['pdo', 'pdostatement', 'pdoexception', 'pdorow']);

export const SQLITE3_CLASSES: ReadonlySet<string> = new Set(['sqlite3', 'sqlite3stmt', 'sqlite3result']);

/**
 * Methods that send traffic to the database (connect, query, prepare/execute,
 * transactions). Only calls of these names are counted as DB method calls;
 * fetch and result accessors are not (they do not make a span in any agent).
 */
export const DB_METHODS: ReadonlySet<string> = new Set([
  'query',
  'real_query',
  'multi_query',
  'prepare',
  'execute',
  'execute_query',
  'exec',
  'begin_transaction',
  'begintransaction',
  'commit',
  'rollback',
  'connect',
  'real_connect',
]);

/** SQLite3 methods that reach the database, counted as "other" (sqlite3). */
export const SQLITE3_METHODS: ReadonlySet<string> = new Set(['query', 'querysingle', 'exec', 'prepare', 'execute', 'open']);

/** Return classes of built-in functions, used to type `$x = mysqli_connect(...)`. */
export const FUNCTION_RETURNS: ReadonlyMap<string, string> = new Map([
  ['mysqli_connect', 'mysqli'],
  ['mysqli_init', 'mysqli'],
  ['mysqli_prepare', 'mysqli_stmt'],
  ['mysqli_stmt_init', 'mysqli_stmt'],
  ['mysqli_query', 'mysqli_result'],
  ['mysqli_store_result', 'mysqli_result'],
  ['mysqli_use_result', 'mysqli_result'],
  ['mysqli_reap_async_query', 'mysqli_result'],
  ['mysqli_stmt_get_result', 'mysqli_result'],
  ['mysqli_execute_query', 'mysqli_result'],
]);

/** Return classes of built-in methods, keyed `class::method`. */
export const METHOD_RETURNS: ReadonlyMap<string, string> = new Map([
  ['mysqli::prepare', 'mysqli_stmt'],
  ['mysqli::stmt_init', 'mysqli_stmt'],
  ['mysqli::query', 'mysqli_result'],
  ['mysqli::store_result', 'mysqli_result'],
  ['mysqli::use_result', 'mysqli_result'],
  ['mysqli::reap_async_query', 'mysqli_result'],
  ['mysqli::execute_query', 'mysqli_result'],
  ['mysqli_stmt::get_result', 'mysqli_result'],
  ['mysqli_stmt::result_metadata', 'mysqli_result'],
  ['pdo::prepare', 'pdostatement'],
  ['pdo::query', 'pdostatement'],
  ['pdo::connect', 'pdo'],
  ['sqlite3::prepare', 'sqlite3stmt'],
  ['sqlite3::query', 'sqlite3result'],
  ['sqlite3stmt::execute', 'sqlite3result'],
]);

/** Scalar and pseudo types that are never classes. */
export const NON_CLASS_TYPES: ReadonlySet<string> = new Set([
  'int', 'integer', 'float', 'double', 'string', 'bool', 'boolean', 'array', 'iterable', 'callable', 'object',
  'mixed', 'void', 'null', 'false', 'true', 'never', 'resource', 'scalar', 'numeric', 'static', 'self', '$this',
]);

const GAP = String.raw`(?:\s|/\*[\s\S]*?\*/|(?:#|//)[^\n]*\n)*`;
const NOT_AFTER_IDENTIFIER = String.raw`(?<![\w$\x80-\uffff])`;
const NOT_BEFORE_IDENTIFIER = String.raw`(?![\w\x80-\uffff])`;
const METHOD_NAMES = [...new Set([...DB_METHODS, ...SQLITE3_METHODS])].sort().join('|');

/**
 * The prefilter. A file is parsed only when its text holds one of:
 * - an identifier starting with mysqli/mysql_/pg_/sqlsrv_/oci_ (functions,
 *   mysqli classes, MYSQLI_* constants),
 * - the identifier PDO, PDOStatement, PDOException, PDORow, SQLite3, SQLite3Stmt
 *   or SQLite3Result,
 * - `->`, `?->` or `::` followed by a DB method name and `(` (whitespace and
 *   comments allowed between the tokens, as PHP allows them).
 * Every rule needs one of these in the file's code, and PHP identifiers
 * cannot be spelled with escapes, so a file without them counts zero for
 * every rule. Words inside other words (dropdown, jQuery, jpg_) and
 * English prose in strings ("query string") do not match. Files without
 * them are still scanned, cheaply: they may call an entry point or create a
 * user subclass of PDO (analyze-file.ts).
 */
export const EVIDENCE_PATTERN = new RegExp(
  `${NOT_AFTER_IDENTIFIER}(?:(?:mysqli|mysql_|pg_|sqlsrv_|oci_)[\\w\\x80-\\uffff]*|(?:pdo(?:statement|exception|row)?|sqlite3(?:stmt|result)?)${NOT_BEFORE_IDENTIFIER})` +
    `|(?:->|::)${GAP}(?:${METHOD_NAMES})${GAP}\\(`,
  'i',
);

/** A method call of a DB method name: the one rule that needs an AST (to type the receiver). */
export const RECEIVER_PATTERN = new RegExp(`(?:->|::)${GAP}(?:${METHOD_NAMES})${GAP}\\(`, 'i');

export type DbFamily = 'mysqli' | 'pdo' | 'sqlite3';

/** The family of a built-in class name (lower case), or null. */
export function builtinFamily(lowerClass: string): DbFamily | null {
  if (MYSQLI_CLASSES.has(lowerClass)) return 'mysqli';
  if (PDO_CLASSES.has(lowerClass)) return 'pdo';
  if (SQLITE3_CLASSES.has(lowerClass)) return 'sqlite3';
  return null;
}
