<?php
namespace Tracekit\Runtime;

/** The resource every span of this process is reported under. */
final class ResourceInfo
{
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
}
