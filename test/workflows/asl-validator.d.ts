// asl-validator 4 ships JavaScript without declarations; this is the part the tests use.
declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: { message?: string }[];
    errorsText: (separator?: string) => string;
  }
  export default function aslValidator(definition: unknown): AslValidationResult;
}
