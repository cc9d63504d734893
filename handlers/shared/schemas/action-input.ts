import * as z from 'zod';
import { Settings } from './settings.js';

/** What each containment task receives from the Contain map: one approved plan item. */
export function actionInput<T extends z.ZodType>(item: T) {
  return z.object({
    item,
    incidentId: z.string().regex(/^\d{8}-[0-9a-f]{12}$/, 'must be an incident id'),
    settings: Settings,
  });
}
