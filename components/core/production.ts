/**
 * The one rule for "is this environment production", shared by the stack program, the stack-file
 * checks and the policy pack: the stack's own `production` setting when it is given, otherwise an
 * environment named `prod`. Names never decide anything once `production` is set, so a stack saved
 * as `live` or `eu-prod` is judged by what its file says.
 */
export interface ProductionSettings {
  /** `airflow-secrets:production` as the stack gives it (already parsed to a boolean). */
  production?: boolean;
  /** `airflow-secrets:environment`. */
  environment: string;
}

export function isProduction(settings: ProductionSettings): boolean {
  return settings.production ?? settings.environment === "prod";
}
