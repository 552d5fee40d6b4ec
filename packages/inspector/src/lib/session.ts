/**
 * The API key the inspector signs in with. It lives in `sessionStorage` only (this tab, until it
 * closes), is sent as an `Authorization` header, and never appears in a URL.
 */
const STORAGE_KEY = "runline.inspector.apiKey";

export function loadApiKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the user signs in again on each load
  }
}

export function saveApiKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // storage disabled: the key lives in memory for this page only
  }
}

export function clearApiKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
