/**
 * Where webhooks may point (docs/api.md §10): `http`/`https` URLs whose host is not — and does not
 * resolve to — a loopback, private, link-local (cloud metadata included), shared, multicast or
 * otherwise internal address, so a webhook cannot make the server call into its own network
 * (SSRF). `RUNLINE_WEBHOOKS_ALLOW_PRIVATE=true` lifts the address rule (tests, private setups).
 *
 * Checked when a webhook is created, and again on every delivery — DNS may have changed — by
 * the `lookup` the delivery's connection itself uses (`guardedLookup`), so the address checked
 * is the address connected to (no window for DNS rebinding between check and connect).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { lookup as dnsLookupAsync } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { Problems } from "../errors.ts";

const REFUSED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT (shared)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  REFUSED.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["64:ff9b::", 96], // NAT64: reaches IPv4 addresses through a gateway
  ["64:ff9b:1::", 48], // local-use NAT64
  ["fc00::", 7], // unique local (AWS metadata: fd00:ec2::254)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  REFUSED.addSubnet(network, prefix, "ipv6");
}

/** Whether an IP address is one webhooks may not reach (IPv4-mapped IPv6 checked as IPv4). */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return REFUSED.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The host of a URL as an address or name (IPv6 literals without their brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Why a URL is refused as a webhook target (parse, scheme, or — unless private targets are
 * allowed — an address literal in a refused range); undefined when nothing in the URL itself
 * is wrong. Names are resolved by the callers.
 */
export function refusalOf(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "The webhook URL is not a valid absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `The webhook URL must be http or https, not ${url.protocol.replace(/:$/, "")}`;
  }
  if (allowPrivate) return undefined;
  const host = hostOf(url);
  if (isIP(host) !== 0 && isRefusedAddress(host)) {
    return `The webhook URL's host ${host} is a loopback, private, link-local or otherwise internal address`;
  }
  return undefined;
}

/**
 * Checks a URL for `POST /webhooks`: 400 `invalid_webhook_url` when it is not http(s), or its
 * host is, or resolves to, a refused address (or does not resolve at all).
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<void> {
  const refusal = refusalOf(raw, allowPrivate);
  if (refusal) throw Problems.invalidWebhookUrl(refusal);
  if (allowPrivate) return;
  const host = hostOf(new URL(raw));
  if (isIP(host) !== 0) return;
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAsync(host, { all: true, verbatim: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "lookup failed";
    throw Problems.invalidWebhookUrl(`The webhook URL's host ${host} does not resolve (${code})`);
  }
  const refused = addresses.find((a) => isRefusedAddress(a.address));
  if (refused) {
    throw Problems.invalidWebhookUrl(
      `The webhook URL's host ${host} resolves to ${refused.address}, a loopback, private, link-local or otherwise internal address`,
    );
  }
}

/** A delivery's connection was refused by the address rule. */
export class RefusedAddressError extends Error {
  readonly code = "ERR_WEBHOOK_REFUSED_ADDRESS";
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that refuses, at connect time, a host resolving to any refused
 * address (Node calls it with `all: true` when it tries several addresses, else wants one).
 */
export function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: LookupCallback,
): void {
  dnsLookup(
    hostname,
    { family: options.family, hints: options.hints, all: true },
    (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((a) => isRefusedAddress(a.address));
      if (refused) {
        return callback(
          new RefusedAddressError(
            `refused: ${hostname} resolves to ${refused.address}, an internal address`,
          ),
          [],
        );
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new RefusedAddressError(`${hostname} has no address`), []);
      callback(null, first.address, first.family);
    },
  );
}
