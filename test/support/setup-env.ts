/**
 * Every test file starts with the structured log silenced, so the output shows only what failed;
 * a test that checks what is logged turns it back on itself (`RESPONDER_SILENT=0`).
 */
process.env.RESPONDER_SILENT ??= '1';
