// The one way driftgate makes its JSON logger: pino, with the level's name ("level":"info", as
// Loki, Elasticsearch and Cloud Logging expect) rather than pino's number, and the component.
import { pino, type DestinationStream, type Logger } from 'pino';

export function makeLogger(
  component: string,
  level: string,
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { component },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
