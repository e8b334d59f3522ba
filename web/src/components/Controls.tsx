// The controls above a site's numbers: the period picker and the filter chips.
import type { JSX } from "preact";
import { useId, useRef, useState } from "preact/hooks";
import { countryName, flag } from "../countries";
import { range, today } from "../format";
import { DIMENSIONS, OPERATORS, PERIODS, type Filter, type Operator, type ViewQuery } from "../query";

export function PeriodPicker({
  view,
  timeZone,
  shown,
  onChange,
}: {
  view: ViewQuery;
  timeZone: string;
  shown?: { start_date: string; end_date: string };
  onChange: (view: ViewQuery) => void;
}) {
  const id = useId();
  const [custom, setCustom] = useState(view.period === "custom");
  const last = today(timeZone);
  const [start, setStart] = useState(view.start_date ?? shown?.start_date ?? last);
  const [end, setEnd] = useState(view.end_date ?? shown?.end_date ?? last);
  const choose = (value: string) => {
    if (value === "custom") {
      setCustom(true);
      return;
    }
    setCustom(false);
    onChange({ ...view, period: value, start_date: undefined, end_date: undefined, interval: undefined });
  };
  const apply = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!start || !end || start > end) return;
    onChange({ ...view, period: "custom", start_date: start, end_date: end, interval: undefined });
  };
  return (
    <div class="period">
      <label for={id} class="visually-hidden">
        Period
      </label>
      <select id={id} value={custom ? "custom" : view.period} onChange={(e) => choose(e.currentTarget.value)}>
        {PERIODS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
      </select>
      {custom && (
        <form class="custom-range" onSubmit={apply} aria-label="Custom range">
          <label>
            <span class="visually-hidden">From</span>
            <input type="date" value={start} max={last} required onInput={(e) => setStart(e.currentTarget.value)} />
          </label>
          <span aria-hidden="true">–</span>
          <label>
            <span class="visually-hidden">To</span>
            <input type="date" value={end} max={last} required onInput={(e) => setEnd(e.currentTarget.value)} />
          </label>
          <button type="submit" class="button small primary" disabled={!start || !end || start > end}>
            Apply
          </button>
        </form>
      )}
      {shown && (
        <span class="period-shown">
          {range(shown.start_date, shown.end_date)} <span class="tz">({timeZone})</span>
        </span>
      )}
    </div>
  );
}

/** How a filter value reads on its chip (a country code as its flag and name). */
export function filterValue(filter: Filter): string {
  if (filter.dimension === "country" && filter.operator !== "~") return `${flag(filter.value)} ${countryName(filter.value)}`;
  return filter.value;
}

export function FilterChips({
  filters,
  onRemove,
  onAdd,
  onClear,
}: {
  filters: Filter[];
  onRemove: (index: number) => void;
  onAdd: (filter: Filter) => void;
  onClear: () => void;
}) {
  const [adding, setAdding] = useState(false);
  const [dimension, setDimension] = useState("page");
  const [operator, setOperator] = useState<Operator>("==");
  const [value, setValue] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const submit = (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!value.trim()) return;
    onAdd({ dimension, operator, value: value.trim() });
    setValue("");
    setAdding(false);
  };
  return (
    <div class="filters" aria-label="Filters">
      <ul class="chips">
        {filters.map((filter, index) => (
          <li class="chip" key={`${filter.dimension}${filter.operator}${filter.value}`}>
            <span>
              {DIMENSIONS[filter.dimension]} <em>{OPERATORS[filter.operator]}</em> <strong>{filterValue(filter)}</strong>
            </span>
            <button
              type="button"
              class="chip-remove"
              aria-label={`Remove filter: ${DIMENSIONS[filter.dimension]} ${OPERATORS[filter.operator]} ${filter.value}`}
              onClick={() => onRemove(index)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {filters.length > 1 && (
        <button type="button" class="button small link" onClick={onClear}>
          Clear all
        </button>
      )}
      {adding ? (
        <form class="add-filter" onSubmit={submit} aria-label="Add a filter">
          <select aria-label="Dimension" value={dimension} onChange={(e) => setDimension(e.currentTarget.value)}>
            {Object.entries(DIMENSIONS).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
          <select aria-label="Operator" value={operator} onChange={(e) => setOperator(e.currentTarget.value as Operator)}>
            {Object.entries(OPERATORS).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
          <input
            ref={input}
            aria-label="Value"
            value={value}
            placeholder={dimension === "country" ? "US" : "value"}
            onInput={(e) => setValue(e.currentTarget.value)}
            required
          />
          <button type="submit" class="button small primary">
            Add
          </button>
          <button type="button" class="button small" onClick={() => setAdding(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button
          type="button"
          class="button small"
          onClick={() => {
            setAdding(true);
            window.requestAnimationFrame(() => input.current?.focus());
          }}
        >
          + Filter
        </button>
      )}
    </div>
  );
}
