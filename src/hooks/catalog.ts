/**
 * What tracekit turns into spans (../shared/REFERENCE.md, "What the best PHP
 * agents hook"): connect, query, prepare/execute and transaction calls.
 * Fetch, bind, escape and close calls are not spans and are never wrapped.
 * The PHP side reads the same names in hooks/src/Db.php (Db::CALLS).
 */
import { MYSQLI_SPAN_FUNCTIONS } from '../../analyzers/php/catalog.js';

/** Procedural mysqli functions with a traced wrapper in Tracekit\\Wrap: the ones the audit counts as span-making. */
export const TRACED_FUNCTIONS: readonly string[] = MYSQLI_SPAN_FUNCTIONS;

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
