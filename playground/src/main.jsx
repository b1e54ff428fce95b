// The router's playground: GraphiQL over the router's /graphql, with the
// explorer, the docs, history, the headers editor and the query plan panel
// (see plan.jsx). Everything it loads comes from the router itself.
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './plan.css';

import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';

import { fetcher } from './fetcher.js';
import { planPlugin } from './plan.jsx';

const explorer = explorerPlugin();

// `/playground?query=…&variables=…&headers=…` opens the playground on an
// operation (links from docs, tests); otherwise on the last session's tabs.
// (At /graphql a `query` parameter is a GraphQL request, not the page.)
const params = new URLSearchParams(window.location.search);
const initial = {};
for (const param of ['query', 'variables', 'headers']) {
  const value = params.get(param);
  if (value !== null) initial[param] = value;
}

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={[explorer, planPlugin]}
    defaultEditorToolsVisibility={params.has('headers') ? 'headers' : undefined}
    {...initial}
  />,
);
