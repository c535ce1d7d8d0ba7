<?php
namespace Tracekit\Runtime;

/** The resource every span of this process is reported under. */
final class ResourceInfo
{
    /** The attributes that never change for a PHP build, as OTLP/JSON (PHP_VERSION is digits, letters, `.`, `-`, `~`, `+`). */
    const CONSTANT_JSON = '{"key":"process.runtime.name","value":{"stringValue":"php"}},'
        . '{"key":"process.runtime.version","value":{"stringValue":"' . \PHP_VERSION . '"}},'
        . '{"key":"telemetry.sdk.name","value":{"stringValue":"tracekit"}},'
        . '{"key":"telemetry.sdk.language","value":{"stringValue":"php"}}';

    /** @return array<string, mixed> */
    public static function attributes(Config $config): array
    {
        $attributes = $config->resourceAttributes;
        $attributes['service.name'] = $config->serviceName;
        $host = \gethostname();
        if (\is_string($host) && $host !== '' && !isset($attributes['host.name'])) {
            $attributes['host.name'] = $host;
        }
        $pid = \getmypid();
        if (\is_int($pid) && $pid > 0) {
            $attributes['process.pid'] = $pid;
        }
        $attributes['process.runtime.name'] = 'php';
        $attributes['process.runtime.version'] = \PHP_VERSION;
        $attributes['telemetry.sdk.name'] = 'tracekit';
        $attributes['telemetry.sdk.language'] = 'php';
        $attributes['telemetry.sdk.version'] = $config->version;
        return $attributes;
    }

    /**
     * The same attributes as an OTLP/JSON attribute list, written as they are
     * with the strings that may need escaping appended to $check (see
     * OtlpJson); null when OTEL_RESOURCE_ATTRIBUTES set some, which then go
     * through attributes(). Most of the list is one constant: building it
     * attribute by attribute cost ~5,000 instructions a request.
     */
    public static function json(Config $config, string &$check): ?string
    {
        if ($config->resourceAttributes !== []) {
            return null;
        }
        $service = $config->serviceName;
        $version = $config->version;
        $check .= $service . $version;
        $json = "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"{$service}\"}},{\"key\":\"telemetry.sdk.version\",\"value\":{\"stringValue\":\"{$version}\"}},";
        $host = \gethostname();
        if (\is_string($host) && $host !== '') {
            $check .= $host;
            $json .= "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"{$host}\"}},";
        }
        $pid = \getmypid();
        if (\is_int($pid) && $pid > 0) {
            $json .= "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"{$pid}\"}},";
        }
        return $json . self::CONSTANT_JSON;
    }
}
