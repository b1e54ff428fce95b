// The "Query plan" plugin: for the operation just run, the plan the router
// made (its steps, parallel branches and each fetch with its subgraph and
// operation text) and a waterfall of the fetches as they ran (start,
// duration, bytes, errors), both from the router's `queryPlan` extension.
import { useSyncExternalStore } from 'react';

import { PLAN_HEADER, lastRun, subscribe } from './fetcher.js';

const PALETTE = ['#2f6fde', '#d9480f', '#2b8a3e', '#9c36b5', '#e8590c', '#1098ad', '#c2255c', '#5f3dc4'];

function colorOf(subgraph, order) {
  const i = order.indexOf(subgraph);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

/** Subgraphs in the order the plan first names them. */
function subgraphsOf(node, out = []) {
  if (!node) return out;
  if (node.kind === 'Fetch') {
    if (!out.includes(node.subgraph)) out.push(node.subgraph);
  } else if (node.kind === 'Condition') {
    subgraphsOf(node.node, out);
  } else {
    for (const child of node.nodes) subgraphsOf(child, out);
  }
  return out;
}

function countFetches(node) {
  if (!node) return 0;
  if (node.kind === 'Fetch') return 1;
  if (node.kind === 'Condition') return countFetches(node.node);
  return node.nodes.reduce((n, child) => n + countFetches(child), 0);
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

function ms(n) {
  return n < 10 ? `${n.toFixed(2)} ms` : `${n.toFixed(1)} ms`;
}

function Fetch({ node, order }) {
  return (
    <div className="shop-plan-fetch" data-fetch-id={node.id} data-subgraph={node.subgraph}>
      <div className="shop-plan-fetch-head">
        <span className="shop-plan-chip" style={{ background: colorOf(node.subgraph, order) }}>
          {node.subgraph}
        </span>
        <span className="shop-plan-fetch-id">#{node.id}</span>
        {node.path ? <span className="shop-plan-path">at {node.path}</span> : <span className="shop-plan-path">root</span>}
      </div>
      {node.representations ? (
        <div className="shop-plan-reps">
          representations <code>{node.representations}</code>
        </div>
      ) : null}
      <details>
        <summary>operation</summary>
        <pre className="shop-plan-operation">{node.operation}</pre>
      </details>
    </div>
  );
}

function PlanNode({ node, order }) {
  switch (node.kind) {
    case 'Fetch':
      return <Fetch node={node} order={order} />;
    case 'Condition':
      return (
        <div className="shop-plan-group" data-kind="Condition">
          <div className="shop-plan-kind">
            {node.include ? 'Include' : 'Skip'} if ${node.variable}
          </div>
          <PlanNode node={node.node} order={order} />
        </div>
      );
    default:
      return (
        <div className="shop-plan-group" data-kind={node.kind}>
          <div className="shop-plan-kind">
            {node.kind === 'Sequence' ? 'Sequence (one after the other)' : 'Parallel (at once)'}
          </div>
          <div className={node.kind === 'Parallel' ? 'shop-plan-parallel' : 'shop-plan-sequence'}>
            {node.nodes.map((child, i) => (
              <PlanNode key={i} node={child} order={order} />
            ))}
          </div>
        </div>
      );
  }
}

function Waterfall({ fetches, order }) {
  if (fetches.length === 0) return <p className="shop-plan-note">No subgraph was called.</p>;
  const end = Math.max(...fetches.map(f => f.startMs + f.durationMs), 0.001);
  return (
    <div className="shop-plan-waterfall">
      {fetches.map((f, i) => (
        <div
          key={i}
          className="shop-plan-row"
          data-subgraph={f.subgraph}
          data-errors={f.errors}
          title={f.error ?? ''}
        >
          <div className="shop-plan-row-label">
            {f.subgraph}
            {f.fetchIds.length ? <span className="shop-plan-fetch-id"> #{f.fetchIds.join(', #')}</span> : null}
          </div>
          <div className="shop-plan-track">
            <div
              className={f.errors ? 'shop-plan-bar shop-plan-bar-error' : 'shop-plan-bar'}
              style={{
                left: `${(f.startMs / end) * 100}%`,
                width: `${Math.max((f.durationMs / end) * 100, 0.5)}%`,
                background: colorOf(f.subgraph, order),
              }}
            />
          </div>
          <div className="shop-plan-row-figures">
            +{ms(f.startMs)} · {ms(f.durationMs)} · {bytes(f.requestBytes)} → {bytes(f.responseBytes)}
            {f.status !== null && f.status !== 200 ? ` · HTTP ${f.status}` : ''}
            {f.errors ? <span className="shop-plan-errors"> · {f.errors} error{f.errors > 1 ? 's' : ''}</span> : null}
            {f.error ? <span className="shop-plan-errors"> · {f.error}</span> : null}
          </div>
        </div>
      ))}
    </div>
  );
}

function PlanPanel() {
  const run = useSyncExternalStore(subscribe, lastRun);
  if (!run) {
    return (
      <div className="shop-plan">
        <div className="graphiql-doc-explorer-title">Query plan</div>
        <p className="shop-plan-note">Run an operation to see how the router planned it and how its fetches ran.</p>
      </div>
    );
  }
  const { plan } = run;
  if (!plan) {
    return (
      <div className="shop-plan">
        <div className="graphiql-doc-explorer-title">Query plan</div>
        <p className="shop-plan-note" data-plan="absent">
          The router sent no plan for this operation (HTTP {run.status}). It sends one when the request
          has the <code>{PLAN_HEADER}</code> header and its config has <code>expose_query_plan = true</code>{' '}
          (always in the development run, <code>cargo run</code>); introspection-only operations and refused
          requests have none.
        </p>
      </div>
    );
  }
  const order = subgraphsOf(plan.plan);
  for (const f of plan.fetches) if (!order.includes(f.subgraph)) order.push(f.subgraph);
  const fetchCount = countFetches(plan.plan);
  return (
    <div className="shop-plan" data-plan="present">
      <div className="graphiql-doc-explorer-title">Query plan</div>
      <p className="shop-plan-summary">
        {run.operationName ? <b>{run.operationName}: </b> : null}
        {fetchCount} fetch{fetchCount === 1 ? '' : 'es'} over {order.length} subgraph{order.length === 1 ? '' : 's'},{' '}
        {ms(plan.totalMs)} in the router
      </p>
      <div className="shop-plan-subgraphs">
        {order.map(s => (
          <span key={s} className="shop-plan-chip shop-plan-subgraph" data-subgraph={s} style={{ background: colorOf(s, order) }}>
            {s}
          </span>
        ))}
      </div>
      <h3>Fetches as they ran</h3>
      <Waterfall fetches={plan.fetches} order={order} />
      <h3>Plan</h3>
      {plan.plan ? <PlanNode node={plan.plan} order={order} /> : <p className="shop-plan-note">Nothing to fetch.</p>}
    </div>
  );
}

function PlanIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <rect x="3" y="4" width="8" height="3" rx="1" />
      <rect x="7" y="10.5" width="10" height="3" rx="1" />
      <rect x="12" y="17" width="9" height="3" rx="1" />
    </svg>
  );
}

export const planPlugin = {
  title: 'Query plan',
  icon: PlanIcon,
  content: PlanPanel,
};
