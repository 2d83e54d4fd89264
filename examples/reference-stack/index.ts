// The Pulumi program `pulumi up` runs: the reference stack, configured by Pulumi.<stack>.yaml.
import { declareReferenceStack } from "./referenceStack";

const stack = declareReferenceStack();
export const clientIds = stack.clientIds;
export const secretUris = stack.secretUris;
export const expiresAt = stack.expiresAt;
export const nextRotation = stack.nextRotation;
