import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** Why each wildcard resource we grant is acceptable, recorded next to the statement that grants it. */
const reasons = new WeakMap<iam.PolicyStatement, string>();

/** Marks a statement whose resources contain `*` with the reason it cannot be narrower. */
export function justify<T extends iam.PolicyStatement>(statement: T, reason: string): T {
  reasons.set(statement, reason);
  return statement;
}

/** Acknowledges one cdk-nag rule on one construct, with its reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges `AwsSolutions-IAM5` for exactly the wildcard resources of these statements, one
 * finding id per resource, each with the reason given by `justify`. A wildcard without a reason is
 * not acknowledged, so cdk-nag fails the synth.
 */
export function acknowledgeWildcards(role: IConstruct, statements: readonly iam.PolicyStatement[]): void {
  const stack = Stack.of(role);
  for (const statement of statements) {
    const reason = reasons.get(statement);
    if (!reason) continue;
    for (const resource of statement.resources) {
      const flat = flattenCfnReference(stack.resolve(resource));
      if (flat.includes('*')) acknowledge(role, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
    }
  }
}

/** Acknowledges a wildcard resource string as cdk-nag renders it (for grants made by CDK itself). */
export function acknowledgeResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}
