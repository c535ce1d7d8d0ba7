<?php
// Loads the runtime from its sources, one file per class. For tracekit's own
// tests; deployments use the single tracekit-runtime.php that
// `tracekit php init` bundles from these files.
namespace Tracekit\Runtime;

foreach (['Clock', 'Ids', 'TraceContext', 'Sampler', 'Config', 'Span', 'Tracer', 'ResourceInfo', 'OtlpJson', 'Exporter', 'HttpRequest', 'Bootstrap'] as $tracekitClass) {
    if (!\class_exists('Tracekit\\Runtime\\' . $tracekitClass, false)) {
        require __DIR__ . '/src/' . $tracekitClass . '.php';
    }
}
unset($tracekitClass);
