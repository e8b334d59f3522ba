// The small building blocks of every view. Everything shown is passed as text: Preact escapes it.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNote({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div class="error-note" role="alert">
      <p>{message}</p>
      {retry && (
        <button type="button" class="button small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Notice({ kind = "info", children }: { kind?: "info" | "ok" | "warn"; children: ComponentChildren }) {
  return (
    <div class={`notice ${kind}`} role={kind === "warn" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** A labelled form field; `errors` are the server's words for it (422). */
export function Field({
  label,
  hint,
  errors,
  children,
}: {
  label: string;
  hint?: string;
  errors?: string[];
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", errors?.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`field${errors?.length ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children(id, described || undefined)}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {errors?.length ? (
        <p class="field-error" id={`${id}-error`}>
          {errors.join(" ")}
        </p>
      ) : null}
    </div>
  );
}

function copyWithSelection(text: string): boolean {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  return done;
}

/** Copies `text`; says so for a moment (and to screen readers). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = window.setTimeout(() => setState("idle"), 2500);
    return () => window.clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        done = true;
      }
    } catch {
      done = false;
    }
    setState(done || copyWithSelection(text) ? "copied" : "failed");
  };
  return (
    <span class="copy">
      <button type="button" class="button small" onClick={copy}>
        {state === "copied" ? "Copied" : label}
      </button>
      <span class="visually-hidden" role="status">
        {state === "copied" ? "Copied to the clipboard" : state === "failed" ? "Copying failed: select the text and copy it" : ""}
      </span>
    </span>
  );
}

/** A block of code or a secret to copy, selectable as a whole. */
export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <div class="code-block">
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label={`Copy ${label[0].toLowerCase()}${label.slice(1)}`} />
    </div>
  );
}

/**
 * A button that asks before it acts, in a modal <dialog> (focus stays inside, Escape cancels).
 * With `confirmText`, the person types it (a site's domain) before the action is allowed.
 */
export function ConfirmButton({
  label,
  title,
  children,
  action,
  confirmLabel,
  confirmText,
  danger = true,
  class: className = "button small danger",
}: {
  label: string;
  title: string;
  children?: ComponentChildren;
  action: () => Promise<unknown> | unknown;
  confirmLabel?: string;
  confirmText?: string;
  danger?: boolean;
  class?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const headingId = useId();
  const open = () => {
    setTyped("");
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  const confirm = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
      close();
    }
  };
  const allowed = !confirmText || typed.trim() === confirmText;
  return (
    <>
      <button type="button" class={className} onClick={open}>
        {label}
      </button>
      <dialog ref={dialog} class="dialog" aria-labelledby={headingId}>
        <form method="dialog" onSubmit={confirm}>
          <h2 id={headingId}>{title}</h2>
          {children}
          {confirmText && (
            <Field label={`Type ${confirmText} to confirm`}>
              {(id) => (
                <input
                  id={id}
                  value={typed}
                  autoComplete="off"
                  spellcheck={false}
                  onInput={(e) => setTyped(e.currentTarget.value)}
                />
              )}
            </Field>
          )}
          <div class="actions">
            <button type="button" class="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" class={`button ${danger ? "danger" : "primary"}`} disabled={!allowed || busy}>
              {confirmLabel ?? label}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** Tabs over panel contents (arrow keys move between tabs, as the ARIA pattern asks). */
export function Tabs<K extends string>({
  label,
  tabs,
  selected,
  onSelect,
}: {
  label: string;
  tabs: { key: K; label: string }[];
  selected: K;
  onSelect: (key: K) => void;
}) {
  const list = useRef<HTMLDivElement>(null);
  const keydown = (event: KeyboardEvent) => {
    const index = tabs.findIndex((t) => t.key === selected);
    let next = -1;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    else if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tabs.length - 1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(tabs[next].key);
    window.requestAnimationFrame(() => list.current?.querySelector<HTMLButtonElement>('[aria-selected="true"]')?.focus());
  };
  return (
    <div class="tabs" role="tablist" aria-label={label} ref={list} onKeyDown={keydown}>
      {tabs.map((tab) => (
        <button
          key={tab.key}
          type="button"
          role="tab"
          aria-selected={tab.key === selected}
          tabIndex={tab.key === selected ? 0 : -1}
          onClick={() => onSelect(tab.key)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
