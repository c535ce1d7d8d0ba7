<?php
namespace Tracekit\Hooks;

/**
 * The core of tracekit's mysqli and PDO spans, shared by the pure-PHP
 * wrappers (Tracekit\Wrap) and the extension hooks (Ext). Callers pass the
 * name of the traced call ('mysqli_query', 'mysqli::prepare', 'PDO::exec', …),
 * the object it ran on and its arguments; this class knows, per call, where
 * the link, the SQL and the outcome are.
 *
 * Fail-safe: nothing here throws or raises a warning into the application.
 * begin() returns null whenever there is nothing to record (the runtime is
 * missing or inactive, the extension hooks already trace the call), and the
 * wrappers then call the original function directly.
 */
final class Db
{
    /** Longest db.query.text in bytes; longer statements are cut at a UTF-8 boundary. */
    const MAX_QUERY_BYTES = 2048;
    /** Only this much of a statement is sanitised: bounded work for multi-megabyte INSERTs. */
    const MAX_SCAN_BYTES = 8192;
    /** Sanitised texts kept per request, and span templates per connection and call, so a statement in a loop is prepared once. */
    const CACHE_SIZE = 128;

    /**
     * How each traced call is read: [api, operation, where the connection is, where the SQL is].
     * Connection: 'arg0' (procedural, first argument), 'this' (the object), 'stmt' (a statement:
     * the text and connection remembered when it was prepared). SQL: an argument index, 'stmt',
     * or -1 (none). Operation '' means: the first keyword of the SQL.
     */
    const CALLS = [
        'mysqli_connect' => ['mysqli', 'CONNECT', 'args', -1],
        'mysqli::__construct' => ['mysqli', 'CONNECT', 'args', -1],
        'mysqli::connect' => ['mysqli', 'CONNECT', 'args', -1],
        'mysqli_real_connect' => ['mysqli', 'CONNECT', 'args1', -1],
        'mysqli::real_connect' => ['mysqli', 'CONNECT', 'args', -1],
        'mysqli_query' => ['mysqli', '', 'arg0', 1],
        'mysqli::query' => ['mysqli', '', 'this', 0],
        'mysqli_real_query' => ['mysqli', '', 'arg0', 1],
        'mysqli::real_query' => ['mysqli', '', 'this', 0],
        'mysqli_multi_query' => ['mysqli', '', 'arg0', 1],
        'mysqli::multi_query' => ['mysqli', '', 'this', 0],
        'mysqli_execute_query' => ['mysqli', '', 'arg0', 1],
        'mysqli::execute_query' => ['mysqli', '', 'this', 0],
        'mysqli_prepare' => ['mysqli', 'PREPARE', 'arg0', 1],
        'mysqli::prepare' => ['mysqli', 'PREPARE', 'this', 0],
        'mysqli_stmt_prepare' => ['mysqli', 'PREPARE', 'stmt0', 1],
        'mysqli_stmt::prepare' => ['mysqli', 'PREPARE', 'stmtThis', 0],
        'mysqli_stmt::__construct' => ['mysqli', 'PREPARE', 'stmtArgs', 1],
        'mysqli_stmt_execute' => ['mysqli', '', 'stmt0', 'stmt'],
        'mysqli_stmt::execute' => ['mysqli', '', 'stmtThis', 'stmt'],
        'mysqli_begin_transaction' => ['mysqli', 'BEGIN', 'arg0', -1],
        'mysqli::begin_transaction' => ['mysqli', 'BEGIN', 'this', -1],
        'mysqli_commit' => ['mysqli', 'COMMIT', 'arg0', -1],
        'mysqli::commit' => ['mysqli', 'COMMIT', 'this', -1],
        'mysqli_rollback' => ['mysqli', 'ROLLBACK', 'arg0', -1],
        'mysqli::rollback' => ['mysqli', 'ROLLBACK', 'this', -1],
        'PDO::__construct' => ['pdo', 'CONNECT', 'dsn', -1],
        'PDO::query' => ['pdo', '', 'this', 0],
        'PDO::exec' => ['pdo', '', 'this', 0],
        'PDO::prepare' => ['pdo', 'PREPARE', 'this', 0],
        'PDO::beginTransaction' => ['pdo', 'BEGIN', 'this', -1],
        'PDO::commit' => ['pdo', 'COMMIT', 'this', -1],
        'PDO::rollBack' => ['pdo', 'ROLLBACK', 'this', -1],
        'PDOStatement::execute' => ['pdo', '', 'stmtThis', 'stmt'],
    ];

    /** Calls whose success done() reads (a connect's server, a prepared statement's text): full Spans, never calls. */
    const REMEMBERING = [
        'mysqli_connect' => true, 'mysqli::__construct' => true, 'mysqli::connect' => true, 'mysqli_real_connect' => true,
        'mysqli::real_connect' => true, 'PDO::__construct' => true, 'mysqli_prepare' => true, 'mysqli::prepare' => true,
        'mysqli_stmt_prepare' => true, 'mysqli_stmt::prepare' => true, 'mysqli_stmt::__construct' => true, 'PDO::prepare' => true,
    ];

    /** @var bool true once some extension hooks are registered */
    public static $extActive = false;
    /**
     * The calls the extension hooks (same names as CALLS): for these the
     * wrappers stand down, so a call is never traced twice; a call the audit
     * did not see, so nothing hooks, is still traced by its wrapper.
     *
     * @var array<string, bool>
     */
    public static $hooked = [];
    /** @var bool|null */
    private static $raw = null;
    /** @var array<string, int> see fastTable(); filled on the first call traced */
    private static $fast = [];
    /** @var bool the runtime's Tracer class is declared */
    private static $runtime = false;
    /** @var array<string, array{0: string, 1: string}> raw SQL => [text, operation] */
    private static $texts = [];
    /** @var \WeakMap|null PHP 8: object => facts (with its span templates under 'templates'), forgotten with the object */
    private static $weak = null;
    /** @var array<int, array<string, mixed>> PHP 7: spl_object_id => facts (ids can be reused after a free) */
    private static $byId = [];

    /**
     * Raw SQL in spans only when asked: `tracekit php hooks --raw-sql` writes
     * Db::$rawDefault = true; TRACEKIT_DB_RAW_SQL=1/0 overrides it per host.
     *
     * @var bool
     */
    public static $rawDefault = false;

    /**
     * Starts the span of a traced call, or returns null when nothing is recorded.
     *
     * @param object|null $object
     * @param array<int, mixed> $args
     * @return object|int|null the span, or the runtime's token for a call (Tracer::beginCall())
     */
    public static function begin(string $call, $object, array $args, bool $hooked = false)
    {
        if (self::$extActive && !$hooked && isset(self::$hooked[$call])) {
            return null;
        }
        try {
            // The hot path, kept to a few operations (every one counts: between two round trips to the
            // database the caches are cold, and bench/hooks/run.mjs measured each PHP step of this path
            // at several times its warm cost): a statement run before on a known connection, or a
            // prepared statement executed again, has its span template kept with that object's facts.
            $at = self::$fast[$call] ?? -1;
            if ($at === 0) {
                $link = $args[0] ?? null;
                $sql = $args[1] ?? null;
            } elseif ($at === 1) {
                $link = $object;
                $sql = $args[0] ?? null;
            } else {
                $link = $at === 2 ? ($args[0] ?? null) : ($at === 3 ? $object : null);
                $sql = '';
            }
            // PHP 8 keeps facts in a WeakMap (made by the first remember()); PHP 7 takes the slow path.
            if (\is_object($link) && \is_string($sql) && self::$weak !== null) {
                $template = self::$weak[$link]['templates'][$call][$sql] ?? null;
                if ($template !== null) {
                    $token = \Tracekit\Runtime\Tracer::beginCall($template);
                    if ($token !== 0) {
                        return $token;
                    }
                }
            }
            return self::beginSlowly($call, $object, $args);
        } catch (\Throwable $e) {
            return null;
        }
    }

    /**
     * begin() the first time a statement runs on a connection, or when the runtime cannot take a
     * compact call: the facts and the template are made (and kept), and the span begun.
     *
     * @param object|null $object
     * @param array<int, mixed> $args
     * @return object|int|null
     */
    private static function beginSlowly(string $call, $object, array $args)
    {
        if (!self::$runtime) {
            // Once declared, a class stays: the lookup is needed only until it succeeds.
            if (!\class_exists('Tracekit\\Runtime\\Tracer', false)) {
                return null;
            }
            self::$runtime = true;
        }
        if (!isset(self::CALLS[$call]) || !\Tracekit\Runtime\Tracer::isActive()) {
            return null;
        }
        list($api, $operation, $where, $sqlAt) = self::CALLS[$call];
        if (self::$fast === []) {
            self::$fast = self::fastTable();
        }
        $facts = self::connectionFacts($api, $where, $object, $args);
        if (\is_int($sqlAt) && $sqlAt >= 0) {
            if (!isset($args[$sqlAt]) || !\is_string($args[$sqlAt])) {
                return null;
            }
            $sql = $args[$sqlAt];
        } else {
            $sql = '';
        }
        if (isset($facts['templates'][$call][$sql])) {
            $template = $facts['templates'][$call][$sql];
        } else {
            $template = self::template($call, $operation, $where, $sqlAt, $object, $args, $facts);
            // Kept with the connection (or statement) the hot path finds it on: forgotten with that
            // object, or when a reconnect remembers new facts. A huge statement is not kept.
            $link = $where === 'arg0' || $where === 'stmt0' ? (isset($args[0]) ? $args[0] : null) : ($where === 'this' || $where === 'stmtThis' ? $object : null);
            if (\is_object($link) && \strlen($sql) <= self::MAX_SCAN_BYTES) {
                if (!isset($facts['templates'][$call]) || \count($facts['templates'][$call]) >= self::CACHE_SIZE) {
                    $facts['templates'][$call] = [];
                }
                $facts['templates'][$call][$sql] = $template;
                self::remember($link, $facts);
            }
        }
        // A connect or prepare (rare, and done() reads its outcome) is a full Span; a query a call.
        $token = isset(self::REMEMBERING[$call]) ? 0 : \Tracekit\Runtime\Tracer::beginCall($template);
        return $token !== 0 ? $token : \Tracekit\Runtime\Tracer::startSpan($template[0], \Tracekit\Runtime\Span::KIND_CLIENT, $template[1]);
    }

    /**
     * Where the hot path finds a call's object and SQL, as one small code: 0 the connection is
     * argument 0 and the SQL argument 1 (mysqli_query), 1 the object called and argument 0
     * (mysqli::query), 2 argument 0 and no SQL (mysqli_commit, mysqli_stmt_execute), 3 the object
     * called and no SQL (PDOStatement::execute: a statement's text is in its facts). Connects and
     * prepares are not in it.
     *
     * @return array<string, int>
     */
    private static function fastTable(): array
    {
        $table = [];
        foreach (self::CALLS as $call => $how) {
            if (isset(self::REMEMBERING[$call])) {
                continue;
            }
            $fromArgs = $how[2] === 'arg0' || $how[2] === 'stmt0';
            $fromObject = $how[2] === 'this' || $how[2] === 'stmtThis';
            $sqlAt = \is_int($how[3]) ? $how[3] : -1;
            if ($fromArgs && $sqlAt === 1) {
                $table[$call] = 0;
            } elseif ($fromObject && $sqlAt === 0) {
                $table[$call] = 1;
            } elseif ($fromArgs && $sqlAt < 0) {
                $table[$call] = 2;
            } elseif ($fromObject && $sqlAt < 0) {
                $table[$call] = 3;
            }
        }
        return $table;
    }

    /**
     * The extension hooks' entry: the same as begin(), but also while the hooks are active.
     *
     * @param object|null $object
     * @param array<int, mixed> $args
     * @return object|int|null
     */
    public static function beginHooked(string $call, $object, array $args)
    {
        return self::begin($call, $object, $args, true);
    }

    /**
     * The span name and attributes of a call, checked by the runtime: what every call of the same
     * statement on the same connection shares.
     *
     * @param int|string $sqlAt
     * @param object|null $object
     * @param array<int, mixed> $args
     * @param array<string, mixed> $facts
     * @return array{0: string, 1: array<string, mixed>}|null
     */
    private static function template(string $call, string $operation, string $where, $sqlAt, $object, array $args, array $facts)
    {
        $text = null;
        if ($sqlAt === 'stmt') {
            $stmt = $where === 'stmt0' ? (isset($args[0]) ? $args[0] : null) : $object;
            if (isset($facts['text'])) {
                $text = $facts['text'];
                $operation = $facts['op'];
            } elseif ($stmt instanceof \PDOStatement) {
                list($text, $operation) = self::queryText($stmt->queryString);
            } else {
                $operation = 'EXECUTE';
            }
        } elseif (\is_int($sqlAt) && $sqlAt >= 0) {
            list($text, $keyword) = self::queryText($args[$sqlAt]);
            if ($operation === '') {
                $operation = $keyword;
            }
        }
        $attributes = ['db.system.name' => $facts['system']];
        if ($text !== null) {
            $attributes['db.query.text'] = $text;
        }
        if ($operation !== '') {
            $attributes['db.operation.name'] = $operation;
        }
        if ($facts['namespace'] !== null) {
            $attributes['db.namespace'] = $facts['namespace'];
        }
        if ($facts['address'] !== null) {
            $attributes['server.address'] = $facts['address'];
        }
        if ($facts['port'] !== null) {
            $attributes['server.port'] = $facts['port'];
        }
        $attributes['tracekit.db.call'] = $call;
        $name = ($operation !== '' ? $operation : $facts['system']) . ($facts['namespace'] !== null ? ' ' . $facts['namespace'] : '');
        return \Tracekit\Runtime\Tracer::clientTemplate($name, $attributes);
    }

    /**
     * Ends the span after the call returned: marks a failure (false, or a
     * failed connect) with the driver's error number, and remembers what
     * later calls need (a statement's text, a connection's server).
     *
     * @param object|int|null $span
     * @param object|null $object
     * @param array<int, mixed> $args
     * @param mixed $result
     */
    public static function done($span, string $call, $object, array $args, $result): void
    {
        if ($span === null) {
            return;
        }
        if (\is_int($span) && $result !== false) {
            // A query that went well (a call from begin(), never a connect or prepare): nothing to read or
            // remember. The wrappers of the queries make this same check themselves, one call fewer.
            \Tracekit\Runtime\Tracer::endCall($span);
            return;
        }
        try {
            list($api, $operation, $where) = self::CALLS[$call];
            $failed = $result === false;
            $errno = 0;
            $message = '';
            if ($operation === 'CONNECT' && $api === 'mysqli') {
                $errno = \mysqli_connect_errno();
                $failed = $failed || $errno !== 0;
                $message = (string) \mysqli_connect_error();
                $link = $call === 'mysqli_connect' ? $result : ($call === 'mysqli_real_connect' ? (isset($args[0]) ? $args[0] : null) : $object);
                if (!$failed && \is_object($link)) {
                    self::remember($link, self::connectionFacts('mysqli', $where, $object, $args));
                }
            } elseif ($operation === 'CONNECT') {
                if (\is_object($object)) {
                    self::remember($object, self::connectionFacts('pdo', 'dsn', $object, $args));
                }
            } elseif ($failed) {
                $source = $where === 'arg0' || $where === 'stmt0' ? (isset($args[0]) ? $args[0] : null) : $object;
                list($errno, $message) = self::errorOf($source);
            } elseif ($operation === 'PREPARE') {
                // The statement is what prepare returned, or the object (or first argument) it prepared.
                $stmt = \is_object($result) ? $result : ($where === 'stmt0' ? (isset($args[0]) ? $args[0] : null) : $object);
                $sqlAt = self::CALLS[$call][3];
                $sql = \is_int($sqlAt) && isset($args[$sqlAt]) ? $args[$sqlAt] : null;
                if (\is_object($stmt) && \is_string($sql)) {
                    list($text, $keyword) = self::queryText($sql);
                    $facts = self::connectionFacts($api, $where, $object, $args);
                    unset($facts['templates']);
                    $facts['text'] = $text;
                    $facts['op'] = $keyword;
                    self::remember($stmt, $facts);
                }
            }
            if (!$failed && \is_int($span)) {
                \Tracekit\Runtime\Tracer::endCall($span);
                return;
            }
            if (\is_int($span)) {
                $span = \Tracekit\Runtime\Tracer::callSpan($span);
                if ($span === null) {
                    return;
                }
            }
            if ($failed) {
                if ($errno !== 0) {
                    $span->setAttribute('db.response.status_code', (string) $errno);
                }
                $span->recordError($errno !== 0 ? (string) $errno : '_OTHER', $message);
            }
            $span->end();
        } catch (\Throwable $e) {
            // Tracing is optional; the query is not.
        }
    }

    /**
     * Ends the span of a call that threw (mysqli_sql_exception with
     * MYSQLI_REPORT_STRICT, PDOException with ERRMODE_EXCEPTION, a TypeError…).
     * The caller rethrows the same exception.
     *
     * @param object|int|null $span
     */
    public static function failed($span, \Throwable $exception): void
    {
        if ($span === null) {
            return;
        }
        try {
            if (\is_int($span)) {
                $span = \Tracekit\Runtime\Tracer::callSpan($span);
                if ($span === null) {
                    return;
                }
            }
            $errno = 0;
            if ($exception instanceof \PDOException) {
                $info = $exception->errorInfo;
                $errno = \is_array($info) && isset($info[1]) && \is_int($info[1]) ? $info[1] : 0;
            } elseif ($exception instanceof \mysqli_sql_exception) {
                $errno = (int) $exception->getCode();
            }
            if ($errno !== 0) {
                $span->setAttribute('db.response.status_code', (string) $errno);
            }
            $span->recordException($exception, true);
            if ($errno !== 0) {
                $span->setAttribute('error.type', (string) $errno);
            }
            $span->end();
        } catch (\Throwable $e) {
            // Tracing is optional; the caller rethrows the application's exception.
        }
    }

    /**
     * The text for db.query.text (sanitised unless raw SQL was asked for,
     * bounded) and the operation name (first keyword, upper case).
     *
     * @return array{0: string, 1: string}
     */
    public static function queryText(string $sql): array
    {
        if (isset(self::$texts[$sql])) {
            return self::$texts[$sql];
        }
        $text = \strlen($sql) > self::MAX_SCAN_BYTES ? \substr($sql, 0, self::MAX_SCAN_BYTES) : $sql;
        $clean = Sanitizer::sanitize($text);
        if (!self::raw()) {
            $text = $clean;
        }
        if (\strlen($text) > self::MAX_QUERY_BYTES) {
            $text = self::cut($text, self::MAX_QUERY_BYTES);
        }
        $operation = \preg_match('/^[\s(]*([A-Za-z]+)/', $clean, $m) === 1 ? \strtoupper($m[1]) : '';
        if (\strlen($sql) > self::MAX_SCAN_BYTES) {
            // A huge statement (a bulk INSERT) is not kept as a cache key.
            return [$text, $operation];
        }
        if (\count(self::$texts) >= self::CACHE_SIZE) {
            self::$texts = [];
        }
        return self::$texts[$sql] = [$text, $operation];
    }

    private static function raw(): bool
    {
        if (self::$raw === null) {
            $env = \getenv('TRACEKIT_DB_RAW_SQL');
            if ($env === '1' || $env === 'true') {
                self::$raw = true;
            } elseif ($env === '0' || $env === 'false') {
                self::$raw = false;
            } else {
                self::$raw = self::$rawDefault;
            }
        }
        return self::$raw;
    }

    /** Cuts at most $max bytes without splitting a UTF-8 sequence. */
    private static function cut(string $text, int $max): string
    {
        $end = $max;
        while ($end > 0 && (\ord($text[$end]) & 0xC0) === 0x80) {
            $end--;
        }
        return \substr($text, 0, $end);
    }

    /**
     * system, address, port, namespace of the connection a call uses.
     *
     * @param object|null $object
     * @param array<int, mixed> $args
     * @return array<string, mixed>
     */
    private static function connectionFacts(string $api, string $where, $object, array $args): array
    {
        if ($where === 'args' || $where === 'args1') {
            $offset = $where === 'args1' ? 1 : 0;
            return self::mysqliTarget(
                self::argAt($args, $offset),
                self::argAt($args, $offset + 3),
                self::argAt($args, $offset + 4),
                self::argAt($args, $offset + 5)
            );
        }
        if ($where === 'dsn') {
            return self::pdoTarget(isset($args[0]) && \is_string($args[0]) ? $args[0] : '');
        }
        if ($where === 'stmtArgs') {
            $link = isset($args[0]) ? $args[0] : null;
        } else {
            $link = $where === 'arg0' || $where === 'stmt0' ? (isset($args[0]) ? $args[0] : null) : $object;
        }
        $known = \is_object($link) ? self::recall($link) : null;
        if ($known !== null) {
            return $known;
        }
        return ['system' => $api === 'pdo' ? 'other_sql' : 'mysql', 'address' => null, 'port' => null, 'namespace' => null];
    }

    /**
     * @param array<int, mixed> $args
     * @return mixed
     */
    private static function argAt(array $args, int $i)
    {
        return isset($args[$i]) ? $args[$i] : null;
    }

    /**
     * Where mysqli connects, as mysqlnd decides: "localhost" (or no host)
     * means the unix socket, anything else TCP on the port.
     *
     * @param mixed $host
     * @param mixed $database
     * @param mixed $port
     * @param mixed $socket
     * @return array<string, mixed>
     */
    public static function mysqliTarget($host, $database, $port, $socket): array
    {
        $host = \is_string($host) && $host !== '' ? $host : (string) \ini_get('mysqli.default_host');
        if (\strncmp($host, 'p:', 2) === 0) {
            $host = (string) \substr($host, 2);
        }
        if ($host === '') {
            $host = 'localhost';
        }
        $facts = ['system' => 'mysql', 'address' => $host, 'port' => null, 'namespace' => \is_string($database) && $database !== '' ? $database : null];
        if ($host !== 'localhost') {
            $port = \is_int($port) || (\is_string($port) && \ctype_digit($port)) ? (int) $port : 0;
            $facts['port'] = $port > 0 ? $port : ((int) \ini_get('mysqli.default_port') ?: 3306);
        }
        return $facts;
    }

    /**
     * Reads a PDO DSN: driver (db.system.name), host/port or unix socket, dbname.
     *
     * @return array<string, mixed>
     */
    public static function pdoTarget(string $dsn): array
    {
        $colon = \strpos($dsn, ':');
        $driver = $colon === false ? '' : \strtolower(\substr($dsn, 0, $colon));
        $systems = ['mysql' => 'mysql', 'pgsql' => 'postgresql', 'sqlite' => 'sqlite', 'sqlsrv' => 'microsoft.sql_server', 'dblib' => 'microsoft.sql_server', 'oci' => 'oracle.db', 'firebird' => 'firebird', 'ibm' => 'ibm.db2'];
        $facts = ['system' => isset($systems[$driver]) ? $systems[$driver] : 'other_sql', 'address' => null, 'port' => null, 'namespace' => null];
        if ($colon === false || $driver === 'sqlite') {
            return $facts;
        }
        $pairs = [];
        foreach (\explode(';', (string) \substr($dsn, $colon + 1)) as $part) {
            $eq = \strpos($part, '=');
            if ($eq !== false) {
                $pairs[\strtolower(\trim(\substr($part, 0, $eq)))] = \trim((string) \substr($part, $eq + 1));
            }
        }
        if (isset($pairs['dbname']) && $pairs['dbname'] !== '') {
            $facts['namespace'] = $pairs['dbname'];
        }
        if (isset($pairs['unix_socket']) && $pairs['unix_socket'] !== '') {
            $facts['address'] = 'localhost';
        } elseif (isset($pairs['host']) && $pairs['host'] !== '') {
            $facts['address'] = $pairs['host'];
            $facts['port'] = isset($pairs['port']) && \ctype_digit($pairs['port']) ? (int) $pairs['port'] : ($driver === 'mysql' ? 3306 : null);
        }
        return $facts;
    }

    /**
     * The error number and message a failed call left on its link or statement.
     *
     * @param mixed $source
     * @return array{0: int, 1: string}
     */
    private static function errorOf($source): array
    {
        if ($source instanceof \mysqli || $source instanceof \mysqli_stmt) {
            // Reading errno of a closed link warns on PHP 7: never let that reach the application.
            \set_error_handler(static function () {
                return true;
            });
            try {
                return [(int) $source->errno, (string) $source->error];
            } finally {
                \restore_error_handler();
            }
        }
        if ($source instanceof \PDO || $source instanceof \PDOStatement) {
            $info = $source->errorInfo();
            $errno = \is_array($info) && isset($info[1]) && \is_int($info[1]) ? $info[1] : 0;
            $message = \is_array($info) && isset($info[2]) && \is_string($info[2]) ? $info[2] : '';
            return [$errno, $message];
        }
        return [0, ''];
    }

    /**
     * A statement made from a link serves the same database: copy the link's facts.
     *
     * @param mixed $link
     */
    public static function adopt(object $stmt, $link): void
    {
        try {
            $facts = \is_object($link) ? self::recall($link) : null;
            if ($facts !== null) {
                unset($facts['text'], $facts['op'], $facts['templates']);
                self::remember($stmt, $facts);
            }
        } catch (\Throwable $e) {
            // Only attributes are lost.
        }
    }

    /** @param array<string, mixed> $facts */
    public static function remember(object $object, array $facts): void
    {
        if (\PHP_VERSION_ID >= 80000) {
            if (self::$weak === null) {
                self::$weak = new \WeakMap();
            }
            self::$weak[$object] = $facts;
            return;
        }
        if (\count(self::$byId) >= 256) {
            self::$byId = [];
        }
        self::$byId[\spl_object_id($object)] = $facts;
    }

    /** @return array<string, mixed>|null */
    public static function recall(object $object)
    {
        if (\PHP_VERSION_ID >= 80000) {
            return self::$weak !== null && isset(self::$weak[$object]) ? self::$weak[$object] : null;
        }
        $id = \spl_object_id($object);
        return isset(self::$byId[$id]) ? self::$byId[$id] : null;
    }
}
