<?php
namespace Tracekit\Wrap;

use Tracekit\Hooks\Db;

/**
 * `new PDO(…)` after `tracekit php rewrite`: spans around connect, query,
 * exec, prepare and the transaction calls, and PdoStatement as the statement
 * class so that each execute() gets a span with the statement's text.
 *
 * The statement class is not set when the application asks for its own
 * (PDO::ATTR_STATEMENT_CLASS in the options: theirs wins, their statements'
 * execute() is not traced) or for a persistent connection (PDO refuses a
 * statement class there; prepare() is still traced, execute() is not).
 */
class Pdo extends \PDO
{
    public function __construct($dsn, $username = null, $password = null, $options = null)
    {
        $args = \func_get_args();
        $span = Db::begin('PDO::__construct', $this, $args);
        if ($span === null) {
            parent::__construct(...$args);
        } else {
            try {
                parent::__construct(...$args);
            } catch (\Throwable $e) {
                Db::failed($span, $e);
                throw $e;
            }
            Db::done($span, 'PDO::__construct', $this, $args, null);
        }
        $own = \is_array($options) && (isset($options[\PDO::ATTR_STATEMENT_CLASS]) || !empty($options[\PDO::ATTR_PERSISTENT]));
        if (!$own) {
            \set_error_handler(static function () {
                return true;
            });
            try {
                parent::setAttribute(\PDO::ATTR_STATEMENT_CLASS, [PdoStatement::class, []]);
            } catch (\Throwable $e) {
                // Statements stay plain PDOStatement: execute() is not traced, nothing else changes.
            } finally {
                \restore_error_handler();
            }
        }
    }

    public function query($query, $fetchMode = null, ...$fetchModeArgs)
    {
        $args = \func_get_args();
        $span = Db::begin('PDO::query', $this, $args);
        if ($span === null) {
            return parent::query(...$args);
        }
        try {
            $result = parent::query(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDO::query', $this, $args, $result);
        }
        return $result;
    }

    public function exec($statement)
    {
        $args = \func_get_args();
        $span = Db::begin('PDO::exec', $this, $args);
        if ($span === null) {
            return parent::exec(...$args);
        }
        try {
            $result = parent::exec(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDO::exec', $this, $args, $result);
        }
        return $result;
    }

    public function prepare($query, $options = [])
    {
        $args = \func_get_args();
        $span = Db::begin('PDO::prepare', $this, $args);
        if ($span === null) {
            $result = parent::prepare(...$args);
            if (\is_object($result)) {
                Db::adopt($result, $this);
            }
            return $result;
        }
        try {
            $result = parent::prepare(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        Db::done($span, 'PDO::prepare', $this, $args, $result);
        return $result;
    }

    public function beginTransaction()
    {
        $span = Db::begin('PDO::beginTransaction', $this, []);
        if ($span === null) {
            return parent::beginTransaction(...\func_get_args());
        }
        try {
            $result = parent::beginTransaction(...\func_get_args());
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDO::beginTransaction', $this, [], $result);
        }
        return $result;
    }

    public function commit()
    {
        $span = Db::begin('PDO::commit', $this, []);
        if ($span === null) {
            return parent::commit(...\func_get_args());
        }
        try {
            $result = parent::commit(...\func_get_args());
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDO::commit', $this, [], $result);
        }
        return $result;
    }

    public function rollBack()
    {
        $span = Db::begin('PDO::rollBack', $this, []);
        if ($span === null) {
            return parent::rollBack(...\func_get_args());
        }
        try {
            $result = parent::rollBack(...\func_get_args());
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDO::rollBack', $this, [], $result);
        }
        return $result;
    }
}

/**
 * The statement class of a traced Pdo: one span per execute(), with the
 * statement's text. PDO requires a non-public constructor here.
 */
class PdoStatement extends \PDOStatement
{
    protected function __construct()
    {
    }

    public function execute($params = null)
    {
        $args = \func_get_args();
        $span = Db::begin('PDOStatement::execute', $this, $args);
        if ($span === null) {
            return parent::execute(...$args);
        }
        try {
            $result = parent::execute(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'PDOStatement::execute', $this, $args, $result);
        }
        return $result;
    }
}
