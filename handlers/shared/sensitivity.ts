import type { BucketSensitivity } from './ports.js';

const SEVERITY_RANK: Record<string, number> = { Low: 1, Medium: 2, High: 3, Critical: 4 };

interface MacieFinding {
  severity?: { description?: string };
  resourcesAffected?: { s3Bucket?: { name?: string } };
  classificationDetails?: {
    result?: { sensitiveData?: { category?: string; detections?: { type?: string; count?: number }[] }[] };
  };
}

/**
 * A bucket's sensitivity from Macie: the score (DescribeBuckets) and the sensitive data types and
 * highest severity of the Macie findings on it (`CATEGORY: TYPE, TYPE`).
 */
export function summarizeSensitivity(
  bucket: string,
  meta:
    | { sensitivityScore?: number; classifiableObjectCount?: number; sensitiveDataTypes?: readonly string[] }
    | undefined,
  findings: readonly unknown[],
): BucketSensitivity {
  const onBucket = (findings as MacieFinding[]).filter(
    (finding) => finding.resourcesAffected?.s3Bucket?.name === bucket,
  );
  const byCategory = new Map<string, Set<string>>();
  let highest: string | undefined;
  for (const finding of onBucket) {
    const severity = finding.severity?.description;
    if (severity && (!highest || (SEVERITY_RANK[severity] ?? 0) > (SEVERITY_RANK[highest] ?? 0))) highest = severity;
    for (const data of finding.classificationDetails?.result?.sensitiveData ?? []) {
      const types = byCategory.get(data.category ?? 'UNCATEGORIZED') ?? new Set<string>();
      for (const detection of data.detections ?? []) if (detection.type) types.add(detection.type);
      byCategory.set(data.category ?? 'UNCATEGORIZED', types);
    }
  }
  const fromFindings = [...byCategory.entries()].map(([category, types]) =>
    types.size ? `${category}: ${[...types].sort().join(', ')}` : category,
  );
  return {
    bucket,
    sensitivityScore: meta?.sensitivityScore,
    classifiableObjectCount: meta?.classifiableObjectCount,
    sensitiveDataTypes: [...new Set([...(meta?.sensitiveDataTypes ?? []), ...fromFindings])],
    highestSeverity: highest?.toUpperCase(),
  };
}
