/**
 * What tracekit turns into spans (../shared/REFERENCE.md, "What the best PHP
 * agents hook"): connect, query, prepare/execute and transaction calls.
 * Fetch, bind, escape and close calls are not spans and are never wrapped.
 * The PHP side reads the same names in hooks/src/Db.php (Db::CALLS).
 */

/** Procedural mysqli functions with a traced wrapper in Tracekit\Wrap. */
export const TRACED_FUNCTIONS: readonly string[] = [
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

/** Built-in classes with a traced subclass in Tracekit\Wrap (same name, case-insensitively). */
export const WRAPPED_CLASSES: Readonly<Record<string, 'mysqli' | 'pdo'>> = {
  mysqli: 'mysqli',
  mysqli_stmt: 'mysqli',
  pdo: 'pdo',
};

/** The namespace the rewrite points call sites at. */
export const WRAP_NAMESPACE = 'Tracekit\\Wrap';

/** Traced methods per built-in class, as the extension hook API names them (canonical case). */
export const TRACED_METHODS: Readonly<Record<string, readonly string[]>> = {
  mysqli: ['__construct', 'connect', 'real_connect', 'query', 'real_query', 'multi_query', 'execute_query', 'prepare', 'begin_transaction', 'commit', 'rollback'],
  mysqli_stmt: ['__construct', 'prepare', 'execute'],
  PDO: ['__construct', 'query', 'exec', 'prepare', 'beginTransaction', 'commit', 'rollBack'],
  PDOStatement: ['execute'],
};

/** Which classes a method call on a receiver of each audit family may land on. */
export const FAMILY_CLASSES: Readonly<Record<'mysqli' | 'pdo', readonly string[]>> = {
  mysqli: ['mysqli', 'mysqli_stmt'],
  pdo: ['PDO', 'PDOStatement'],
};

/**
 * Methods the Tracekit\Wrap classes override (lower case). A user class that
 * extends mysqli/PDO and declares one of these must match the wrapper's
 * untyped signature, so the rewrite leaves its `extends` alone.
 */
export const OVERRIDDEN_METHODS: Readonly<Record<string, readonly string[]>> = {
  mysqli: ['real_connect', 'query', 'real_query', 'multi_query', 'prepare', 'stmt_init', 'begin_transaction', 'commit', 'rollback'],
  mysqli_stmt: ['prepare', 'execute'],
  pdo: ['query', 'exec', 'prepare', 'begintransaction', 'commit', 'rollback'],
};
