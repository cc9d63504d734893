import { z } from 'zod';

const KeyFacts = z.object({
  accessKeyId: z.string(),
  status: z.enum(['Active', 'Inactive']),
  createDate: z.string().optional(),
  lastUsedDate: z.string().optional(),
  lastUsedService: z.string().optional(),
});
export type KeyFacts = z.infer<typeof KeyFacts>;

/** Who the principal is in IAM, with its keys. The plan reads `resolvedArn` for the bucket deny. */
export const PrincipalFacts = z.object({
  status: z.literal('ok'),
  type: z.string(),
  /** The ARN `aws:PrincipalArn` carries: the user ARN, or the role ARN (with its path) for a session. */
  resolvedArn: z.string().optional(),
  userName: z.string().optional(),
  roleName: z.string().optional(),
  serviceLinked: z.boolean().optional(),
  ssoManaged: z.boolean().optional(),
  findingKey: KeyFacts.optional(),
  otherKeys: z.array(KeyFacts).default([]),
  notes: z.array(z.string()).default([]),
});
export type PrincipalFacts = z.infer<typeof PrincipalFacts>;
