/**
 * Every test file starts with the structured log silenced, so the output shows only what failed;
 * a test that checks what is logged turns it back on itself (`RESPONDER_SILENT=0`). Powertools runs
 * in its development mode (Logger writes through the global console, which tests can watch) and
 * writes no metrics unless a test asks for them (`POWERTOOLS_METRICS_DISABLED=false`).
 */
process.env.RESPONDER_SILENT ??= '1';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
