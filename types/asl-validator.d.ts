declare module 'asl-validator' {
  export interface ValidationOptions {
    checkArn?: boolean;
    checkPaths?: boolean;
  }
  export interface ValidationResult {
    isValid: boolean;
    errors: unknown[];
    errorsText: (separator?: string) => string;
  }
  export default function aslValidator(definition: unknown, options?: ValidationOptions): ValidationResult;
}
