type Fields = Record<string, string | number | boolean | undefined>;

/**
 * One JSON line per log call. Callers pass a few named scalar fields only: never an event, a
 * finding, a task token or a policy (STYLE: never log whole inputs).
 */
function write(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Fields = {}): void {
  if (process.env.RESPONDER_SILENT === '1') return;
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'ERROR') console.error(line);
  else console.log(line);
}

export const log = {
  info: (message: string, fields?: Fields) => write('INFO', message, fields),
  warn: (message: string, fields?: Fields) => write('WARN', message, fields),
  error: (message: string, fields?: Fields) => write('ERROR', message, fields),
};
