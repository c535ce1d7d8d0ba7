<?php
namespace Tracekit\Runtime;

/**
 * One span. A span that is not sampled still carries ids (so that outgoing
 * calls propagate the trace) but records nothing and is never exported.
 */
final class Span
{
    const KIND_INTERNAL = 1;
    const KIND_SERVER = 2;
    const KIND_CLIENT = 3;
    const KIND_PRODUCER = 4;
    const KIND_CONSUMER = 5;

    const STATUS_UNSET = 0;
    const STATUS_OK = 1;
    const STATUS_ERROR = 2;

    /** @var string */
    public $traceId;
    /** @var string */
    public $spanId;
    /** @var string */
    public $parentSpanId;
    /** @var string */
    public $traceState;
    /** @var bool */
    public $sampled;
    /** @var string */
    public $name;
    /** @var int */
    public $kind;
    /** @var string Unix nanoseconds */
    public $startNanos;
    /** @var string|null */
    public $endNanos = null;
    /** @var array<string, mixed> */
    public $attributes = [];
    /** @var array<int, array{name: string, timeNanos: string, attributes: array<string, mixed>}> */
    public $events = [];
    /** @var int */
    public $statusCode = self::STATUS_UNSET;
    /** @var string */
    public $statusMessage = '';
    /** @var int */
    public $maxAttributeLength = 4096;

    public function __construct(string $traceId, string $spanId, string $parentSpanId, string $traceState, bool $sampled, string $name, int $kind, string $startNanos)
    {
        $this->traceId = $traceId;
        $this->spanId = $spanId;
        $this->parentSpanId = $parentSpanId;
        $this->traceState = $traceState;
        $this->sampled = $sampled;
        $this->name = $name;
        $this->kind = $kind;
        $this->startNanos = $startNanos;
    }

    public function isRecording(): bool
    {
        return $this->sampled && $this->endNanos === null;
    }

    /**
     * Strings, ints, floats, bools, or lists of one of those; null removes nothing
     * and is ignored.
     *
     * @param mixed $value
     */
    public function setAttribute(string $key, $value): self
    {
        if (!$this->isRecording() || $key === '' || $value === null) {
            return $this;
        }
        if (\is_string($value)) {
            if (\strlen($value) > $this->maxAttributeLength) {
                $value = \substr($value, 0, $this->maxAttributeLength);
            }
        } elseif (\is_array($value)) {
            $list = [];
            foreach ($value as $item) {
                if (\is_string($item) || \is_int($item) || \is_float($item) || \is_bool($item)) {
                    $list[] = $item;
                }
            }
            $value = $list;
        } elseif (!\is_int($value) && !\is_float($value) && !\is_bool($value)) {
            return $this;
        }
        $this->attributes[$key] = $value;
        return $this;
    }

    /** @param array<string, mixed> $attributes */
    public function setAttributes(array $attributes): self
    {
        foreach ($attributes as $key => $value) {
            $this->setAttribute((string) $key, $value);
        }
        return $this;
    }

    public function updateName(string $name): self
    {
        if ($this->isRecording()) {
            $this->name = $name;
        }
        return $this;
    }

    public function setStatus(int $code, string $message = ''): self
    {
        if (!$this->isRecording() || $code < self::STATUS_UNSET || $code > self::STATUS_ERROR) {
            return $this;
        }
        // OK is final; a description only belongs to ERROR (OTel API rules).
        if ($this->statusCode === self::STATUS_OK) {
            return $this;
        }
        $this->statusCode = $code;
        $this->statusMessage = $code === self::STATUS_ERROR ? \substr($message, 0, 1024) : '';
        return $this;
    }

    /** @param array<string, mixed> $attributes */
    public function addEvent(string $name, array $attributes = [], ?string $timeNanos = null): self
    {
        if (!$this->isRecording() || \count($this->events) >= 128) {
            return $this;
        }
        $clean = [];
        foreach ($attributes as $key => $value) {
            if (\is_string($value) && \strlen($value) > $this->maxAttributeLength) {
                $value = \substr($value, 0, $this->maxAttributeLength);
            }
            if (\is_string($value) || \is_int($value) || \is_float($value) || \is_bool($value)) {
                $clean[(string) $key] = $value;
            }
        }
        // The encoder writes timestamps unescaped: only decimal digits are taken as given (trim() is linear; strspn() compares every byte with every digit).
        if ($timeNanos === null || $timeNanos === '' || \trim($timeNanos, '0123456789') !== '') {
            $timeNanos = Clock::nowNanos();
        }
        $this->events[] = ['name' => $name, 'timeNanos' => $timeNanos, 'attributes' => $clean];
        return $this;
    }

    /**
     * Records an exception event (exception.type, .message, .stacktrace) and
     * marks the span as failed with error.type set to the class name.
     */
    public function recordException(\Throwable $exception, bool $setError = true): self
    {
        if (!$this->isRecording()) {
            return $this;
        }
        $type = \get_class($exception);
        $this->addEvent('exception', [
            'exception.type' => $type,
            'exception.message' => $exception->getMessage(),
            'exception.stacktrace' => $exception->getTraceAsString(),
        ]);
        if ($setError) {
            $this->setAttribute('error.type', $type);
            $this->setStatus(self::STATUS_ERROR, $exception->getMessage());
        }
        return $this;
    }

    public function recordError(string $errorType, string $message = ''): self
    {
        $this->setAttribute('error.type', $errorType);
        return $this->setStatus(self::STATUS_ERROR, $message);
    }

    public function traceparent(): string
    {
        return TraceContext::format($this->traceId, $this->spanId, $this->sampled);
    }

    public function end(?string $endNanos = null): void
    {
        if ($this->endNanos !== null) {
            return;
        }
        // The encoder writes timestamps unescaped: only decimal digits are taken as given (trim() is linear; strspn() compares every byte with every digit).
        $this->endNanos = $endNanos === null || $endNanos === '' || \trim($endNanos, '0123456789') !== '' ? Clock::nowNanos() : $endNanos;
        Tracer::spanEnded($this);
    }
}
