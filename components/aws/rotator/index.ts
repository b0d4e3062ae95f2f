/**
 * What the AWS rotation component needs from the rotation Lambda without loading it: the code
 * archive, its environment variables, secret keys and IAM actions. `handler.ts` is the Lambda itself.
 */
export * from "./bundle";
export * from "./config";
export type { RotationEvent, RotationStep, StepOutcome } from "./handler";
