/**
 * How many distinct inputs each corpus file runs at least (each file asserts its own count at the
 * end; `count.test.ts` asserts the total). fast-check runs more than this to allow for duplicates.
 */
export const PLAN = {
  /** parseExecutionInput and normalizeFinding on generated inputs (pure). */
  executionInput: 400,
  /** The registerIncident task core against dynalite. */
  registerIncident: 150,
  /** Whole executions through `simulate`, every plan approved. */
  flow: 60,
  /** Hostile existing bucket policies in a whole run. */
  flowPolicies: 8,
  /** `responder normalize` and `responder detect`, hand-picked. */
  cli: 8,
  /** The detectors behind `responder detect` (pure). */
  detect: 250,
  /** The Athena SQL builder. */
  athenaSql: 300,
  /** The Slack interaction endpoint (signed requests). */
  slack: 100,
  /** Scenario files (parseScenario and loadScenario). */
  scenario: 150,
  /** Existing resource policies through the patcher. */
  patcher: 200,
  /** Deny statements on aws:PrincipalAccount through the patcher. */
  accountDeny: 40,
} as const;

export const CORPUS_MINIMUM = 200;
