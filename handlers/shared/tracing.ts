import type { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './log.js';

let tracer: Tracer | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads Powertools Tracer, in Lambda only. It is not in the bundles: the functions get it from the
 * Powertools layer (`infra/constructs/task-function.ts`), and it is imported here on the first
 * invocation. Outside Lambda (the tests, `responder simulate`) it is never loaded: its X-Ray SDK
 * installs an async hook at load that slows every promise of the process.
 */
export function startTracing(): Promise<void> {
  if (tracer || process.env.AWS_LAMBDA_FUNCTION_NAME === undefined) return Promise.resolve();
  loading ??= import('@aws-lambda-powertools/tracer').then((module) => {
    tracer = new module.Tracer({ serviceName: SERVICE_NAME });
  });
  return loading;
}

/**
 * An AWS SDK v3 client whose calls show as X-Ray subsegments, once tracing started; the client
 * unchanged otherwise. Every client the handlers make passes through here.
 */
export function traced<C>(client: C): C {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/**
 * Runs one invocation in a `## <name>` subsegment annotated with cold start, service and the
 * incident id; an error is recorded on it and rethrown. Neither the input nor the output is added
 * to the trace: they hold task tokens and finding details.
 */
export async function inSubsegment<R>(name: string, incidentId: string | undefined, run: () => Promise<R>): Promise<R> {
  const segment = tracer?.getSegment();
  if (!tracer || !segment) return run();
  const subsegment = segment.addNewSubsegment(`## ${name}`);
  tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  if (incidentId) tracer.putAnnotation('incidentId', incidentId);
  try {
    return await run();
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(segment);
  }
}
