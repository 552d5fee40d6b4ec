/** Advisory lock keys, as (namespace, lock) int4 pairs: 0x52554E4C is "RUNL". */
export const LOCK_NAMESPACE = 0x52554e4c;
export const MIGRATION_LOCK = 1;
export const BOOTSTRAP_LOCK = 2;
