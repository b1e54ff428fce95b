// Runs operations against the router and keeps, for the operation just run,
// the `queryPlan` response extension the router sends when asked (with the
// PLAN_HEADER request header, and only where the router's config exposes
// plans). The extension is taken out of the response before GraphiQL shows
// it: the plan panel shows it instead.

/** The request header asking the router for `extensions.queryPlan`. */
export const PLAN_HEADER = 'x-shop-query-plan';

const ENDPOINT = '/graphql';

let last = null;
const listeners = new Set();

/** The last operation's run: `{ operationName, plan, status, at }`, or null. */
export function lastRun() {
  return last;
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function publish(run) {
  last = run;
  for (const listener of listeners) listener();
}

export async function fetcher(params, options) {
  // GraphiQL's own schema fetch is not the user's operation.
  const introspection = params.operationName === 'IntrospectionQuery';
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    ...(introspection ? {} : { [PLAN_HEADER]: 'true' }),
    ...(options?.headers ?? {}),
  };
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers,
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  if (introspection) return body;
  const plan = body?.extensions?.queryPlan ?? null;
  if (plan) {
    delete body.extensions.queryPlan;
    if (Object.keys(body.extensions).length === 0) delete body.extensions;
  }
  publish({
    operationName: params.operationName ?? null,
    plan,
    status: response.status,
    at: new Date(),
  });
  return body;
}
