// A panel of the overview: tabs over breakdowns (top pages, entry pages, …), each a list of rows
// with a bar for the row's share. Clicking a row's label filters the whole view by it.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Pagination } from "../api";
import { useFetch } from "../hooks";
import { apiParams, type ViewQuery } from "../query";
import { Empty, ErrorNote, Loading, Tabs } from "./ui";

export interface Row {
  /** The value a click filters by (null: the row cannot filter). */
  filter: string | null;
  label: string;
  prefix?: string;
  /** 0..1: the bar behind the row. */
  share: number;
  metrics: string[];
  titles?: string[];
  details?: ComponentChildren;
}

export interface BreakdownTab {
  key: string;
  label: string;
  endpoint: string;
  dimension?: string;
  columns: string[];
  rows: (answer: any) => Row[];
  /** Shown instead of the rows (the map), or under them (attribution). */
  render?: (answer: any) => ComponentChildren;
  footer?: ComponentChildren;
  empty?: string;
}

const PAGE = 10;
const MOST = 100; // the API's largest page

export function Breakdown({
  title,
  tabs,
  view,
  onFilter,
}: {
  title: string;
  tabs: BreakdownTab[];
  view: ViewQuery;
  onFilter: (dimension: string, value: string) => void;
}) {
  const [selected, setSelected] = useState(tabs[0].key);
  const [limit, setLimit] = useState(PAGE);
  const tab = tabs.find((t) => t.key === selected) ?? tabs[0];
  const path = `${tab.endpoint}?${apiParams(view, { per_page: Math.max(limit, PAGE), page: 1 })}`;
  const loaded = useFetch<any>(path);
  const { error, loading, reload } = loaded;
  // While another tab's answer is still shown, it would not fit this tab's rows: wait for its own.
  const data = loaded.path?.startsWith(`${tab.endpoint}?`) ? loaded.data : null;
  const select = (key: string) => {
    setSelected(key);
    setLimit(PAGE);
  };
  const rows: Row[] = data ? tab.rows(data) : [];
  const pagination: Pagination | undefined = data?.pagination;
  const more = limit < MOST && (rows.length > limit || (pagination ? pagination.total > rows.length : false));
  const headingId = `panel-${tabs[0].key}`;

  return (
    <section class="panel" aria-labelledby={headingId}>
      <div class="panel-head">
        <h2 id={headingId}>{title}</h2>
        {tabs.length > 1 && (
          <Tabs label={title} tabs={tabs.map((t) => ({ key: t.key, label: t.label }))} selected={tab.key} onSelect={select} />
        )}
      </div>
      <div class="panel-body" role={tabs.length > 1 ? "tabpanel" : undefined} aria-busy={loading} aria-label={tab.label}>
        {error ? (
          <ErrorNote message={error} retry={reload} />
        ) : !data ? (
          <Loading />
        ) : tab.render ? (
          tab.render(data)
        ) : rows.length === 0 ? (
          <Empty>{tab.empty ?? "Nothing recorded in this period."}</Empty>
        ) : (
          <table class="rows">
            <thead>
              <tr>
                <th scope="col">{tab.label}</th>
                {tab.columns.map((c) => (
                  <th scope="col" class="num" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, limit).map((row, i) => (
                <tr key={`${row.label}-${i}`}>
                  <th scope="row" class="row-label">
                    <span class="bar" style={{ width: `${Math.max(0, Math.min(1, row.share)) * 100}%` }} aria-hidden="true" />
                    {row.prefix && (
                      <span class="row-prefix" aria-hidden="true">
                        {row.prefix}
                      </span>
                    )}
                    {row.filter !== null && tab.dimension ? (
                      <button
                        type="button"
                        class="row-filter"
                        title={`Filter by ${row.label}`}
                        onClick={() => onFilter(tab.dimension as string, row.filter as string)}
                      >
                        {row.label}
                      </button>
                    ) : (
                      <span class="row-text" title={row.label}>
                        {row.label}
                      </span>
                    )}
                    {row.details}
                  </th>
                  {row.metrics.map((m, j) => (
                    <td class="num" key={j} title={row.titles?.[j]}>
                      {m}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data && !error && !tab.render && more && (
          <button type="button" class="button small more" onClick={() => setLimit((n) => Math.min(n + 30, MOST))} disabled={limit >= MOST}>
            Show more
          </button>
        )}
        {tab.footer}
      </div>
    </section>
  );
}
