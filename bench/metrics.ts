/**
 * Reads one counter from a validator's Prometheus page (GET <rpc>/metrics):
 * the benchmark uses it to report how many signatures each validator really
 * verified per committed transaction (1 when nothing is verified twice).
 */

/** The value of an unlabelled counter or gauge (0 when declared without a sample), or null when missing. */
export async function scrapeMetric(rpcUrl: string, name: string): Promise<number | null> {
  let text: string;
  try {
    const res = await fetch(`${rpcUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    text = await res.text();
  } catch {
    return null;
  }
  let declared = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `)) {
      const value = Number(line.slice(name.length + 1));
      return Number.isFinite(value) ? value : null;
    }
    if (line.startsWith(`# TYPE ${name} `)) declared = true;
  }
  // A declared counter without a sample has not been incremented yet.
  return declared ? 0 : null;
}

/** The sum of a counter over every validator, or null when any of them does not answer. */
export async function scrapeSum(rpcUrls: readonly string[], name: string): Promise<number | null> {
  const values = await Promise.all(rpcUrls.map((u) => scrapeMetric(u, name)));
  return values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + v!, 0);
}
