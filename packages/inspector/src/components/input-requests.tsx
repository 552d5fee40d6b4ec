/**
 * A run's input requests (docs/api.md §7) on its page: each open one as a form a person can
 * answer — every field kind, its default, required marks, secret fields masked — and every
 * request's history (asked, answered, cancelled, expired; the answer, secrets masked).
 *
 * The form does not check values itself (`noValidate`): the server does, and its message for
 * each refused field is shown next to that field. The list is re-read every few seconds (the
 * server has no per-run push for requests yet) and right after an answer or a cancel.
 */
import {
  type InputField,
  type InputRequest,
  type InputValues,
  RunlineError,
} from "@runline/client";
import {
  type FormEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { isAbort, useApi } from "../lib/api.tsx";
import { formatTime } from "../lib/format.ts";
import { usePolling } from "../lib/use-poll.ts";

const REFRESH_MS = 2000;

type Value = InputValues[string];
type FormValues = Record<string, Value | undefined>;

export function InputRequestsPanel(props: {
  conversationId: string;
  runId: string;
  onAnswered?: () => void;
}) {
  const { client, describe } = useApi();
  const { conversationId, runId } = props;
  const [requests, setRequests] = useState<InputRequest[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const sequence = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++sequence.current;
    try {
      const page = await client.humanInput.listInputRequests(conversationId, {
        run_id: runId,
        limit: 100,
      });
      if (mine === sequence.current) {
        setRequests(page.data);
        setError(undefined);
      }
    } catch (caught) {
      if (mine === sequence.current && !isAbort(caught)) setError(describe(caught));
    }
  }, [client, describe, conversationId, runId]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  usePolling(refresh, REFRESH_MS);

  if (error) {
    return (
      <p className="error" role="alert">
        Input requests: {error}
      </p>
    );
  }
  if (!requests || requests.length === 0) return null;
  const open = requests.filter((r) => r.status === "open");
  const done = () => {
    void refresh();
    props.onAnswered?.();
  };
  return (
    <>
      {open.map((request) => (
        <InputRequestForm key={request.id} request={request} onDone={done} />
      ))}
      <section className="panel" aria-labelledby="input-history-heading">
        <h2 id="input-history-heading">Input requests</h2>
        <ol className="input-history">
          {requests.map((request) => (
            <InputRequestHistory key={request.id} request={request} />
          ))}
        </ol>
      </section>
    </>
  );
}

/** The value a field starts with: its default, or nothing chosen. */
function initialValue(field: InputField): Value | undefined {
  if (field.type === "checkbox") return field.defaultValue;
  if (field.type === "confirm") return undefined;
  return field.defaultValue;
}

function InputRequestForm(props: { request: InputRequest; onDone: () => void }) {
  const { client, describe } = useApi();
  const { request } = props;
  const fields = request.fields as InputField[];
  const [values, setValues] = useState<FormValues>(() =>
    Object.fromEntries(fields.map((field) => [field.name, initialValue(field)])),
  );
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const headingId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const answer: InputValues = {};
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && value !== "") answer[name] = value;
    }
    try {
      await client.humanInput.respond(request.conversation_id, request.id, answer);
      setIssues({});
      props.onDone();
    } catch (caught) {
      if (caught instanceof RunlineError && caught.code === "invalid_response") {
        setIssues(
          Object.fromEntries(
            caught.issues.map((issue) => [issue.path.replace(/^values\./, ""), issue.message]),
          ),
        );
        setError("The server refused some values: see the messages by the fields.");
      } else {
        setError(describe(caught));
      }
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    setBusy(true);
    try {
      await client.humanInput.cancel(request.conversation_id, request.id);
      props.onDone();
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      className="panel waiting input-request"
      aria-labelledby={headingId}
      data-input-request-id={request.id}
    >
      <h2 id={headingId}>{request.title}</h2>
      {request.description && <p>{request.description}</p>}
      <p className="muted input-note">
        Asked by tool call <span className="mono">{request.tool_call_id}</span> of a{" "}
        {request.requested_responder_type}; open until {formatTime(request.expires_at)}. Fields
        marked <span aria-hidden="true">*</span>
        <span className="visually-hidden">with an asterisk</span> are required.
      </p>
      <form className="input-form" onSubmit={(e) => void submit(e)} noValidate>
        {fields.map((field) => (
          <FieldInput
            key={field.name}
            field={field}
            value={values[field.name]}
            issue={issues[field.name]}
            onChange={(value) => setValues((current) => ({ ...current, [field.name]: value }))}
          />
        ))}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Submit answer
          </button>
          <button type="button" disabled={busy} onClick={() => void cancel()}>
            Cancel request
          </button>
        </div>
      </form>
    </section>
  );
}

function FieldInput(props: {
  field: InputField;
  value: Value | undefined;
  issue: string | undefined;
  onChange: (value: Value | undefined) => void;
}) {
  const { field, value, issue, onChange } = props;
  const id = useId();
  const issueId = `${id}-issue`;
  const descriptionId = `${id}-description`;
  const described =
    [field.description ? descriptionId : "", issue ? issueId : ""].filter(Boolean).join(" ") ||
    undefined;
  const common = {
    "aria-invalid": issue ? true : undefined,
    "aria-required": field.required ? true : undefined,
    "aria-describedby": described,
  } as const;
  const label = (
    <>
      {field.label}
      {field.required && (
        <>
          <span className="required" aria-hidden="true">
            {" "}
            *
          </span>
          <span className="visually-hidden"> (required)</span>
        </>
      )}
    </>
  );
  const extra = (
    <>
      {field.description && (
        <span id={descriptionId} className="muted input-note">
          {field.description}
        </span>
      )}
      {issue && (
        <span id={issueId} className="field-issue" role="alert">
          {issue}
        </span>
      )}
    </>
  );

  let control: ReactNode;
  switch (field.type) {
    case "textarea":
      control = (
        <textarea
          id={id}
          name={field.name}
          rows={field.rows}
          placeholder={field.placeholder}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      );
      break;
    case "select":
      control = (
        <select
          id={id}
          name={field.name}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
          {...common}
        >
          <option value="">— choose —</option>
          {field.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
              {option.recommended ? " (recommended)" : ""}
            </option>
          ))}
        </select>
      );
      break;
    case "radio":
    case "confirm": {
      const choices =
        field.type === "radio"
          ? field.options.map((o) => ({
              key: o.value,
              value: o.value as Value,
              label: `${o.label}${o.recommended ? " (recommended)" : ""}`,
              description: o.description,
            }))
          : confirmChoices(field as Extract<InputField, { type: "confirm" }>);
      return (
        <fieldset
          className="input-field"
          data-field={field.name}
          aria-invalid={common["aria-invalid"]}
          aria-describedby={described}
        >
          <legend>{label}</legend>
          {choices.map((choice) => (
            <label key={choice.key} className="checkbox">
              <input
                type="radio"
                name={`${id}-${field.name}`}
                checked={value === choice.value}
                onChange={() => onChange(choice.value)}
              />{" "}
              {choice.label}
              {choice.description && (
                <span className="muted input-note"> — {choice.description}</span>
              )}
            </label>
          ))}
          {extra}
        </fieldset>
      );
    }
    case "checkbox":
      return (
        <div className="input-field" data-field={field.name}>
          <label className="checkbox">
            <input
              id={id}
              type="checkbox"
              name={field.name}
              checked={value === true}
              onChange={(e) => onChange(e.target.checked)}
              {...common}
            />{" "}
            {label}
          </label>
          {extra}
        </div>
      );
    default: {
      const masked = field.secret || field.type === "password";
      const type = masked ? "password" : field.type === "text" ? "text" : field.type;
      control = (
        <input
          id={id}
          name={field.name}
          type={type}
          autoComplete={masked ? "off" : undefined}
          placeholder={field.placeholder}
          value={typeof value === "string" || typeof value === "number" ? String(value) : ""}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      );
    }
  }
  return (
    <div className="input-field" data-field={field.name}>
      <label htmlFor={id}>{label}</label>
      {control}
      {extra}
    </div>
  );
}

function confirmChoices(field: Extract<InputField, { type: "confirm" }>) {
  return [
    { key: "yes", value: true as Value, label: field.confirmLabel, description: undefined },
    { key: "no", value: false as Value, label: field.denyLabel, description: undefined },
  ];
}

const BADGES: Record<InputRequest["status"], string> = {
  open: "badge-waiting",
  submitted: "badge-completed",
  cancelled: "badge-cancelled",
  expired: "badge-failed",
};

/** One line of history: what was asked, what happened, and the answer (secrets masked). */
function InputRequestHistory(props: { request: InputRequest }) {
  const { request } = props;
  const fields = request.fields as InputField[];
  const secret = new Set(
    fields.filter((f) => f.secret || f.type === "password").map((f) => f.name),
  );
  const response = request.latest_response;
  const ended = request.submitted_at ?? request.cancelled_at ?? request.expired_at ?? null;
  return (
    <li data-input-request-id={request.id} data-status={request.status}>
      <span className={`badge ${BADGES[request.status]}`}>{request.status}</span>{" "}
      <strong>{request.title}</strong>{" "}
      <span className="muted input-note">
        asked {formatTime(request.created_at)}
        {ended && `, ${request.status} ${formatTime(ended)}`}
        {response &&
          ` by ${response.actor_type === "user" ? "user" : response.actor_type} ${response.actor_id}`}
      </span>
      {response && (
        <dl className="input-answer">
          {Object.entries(response.values).map(([name, value]) => (
            <div key={name} className="dl-item">
              <dt>{fields.find((f) => f.name === name)?.label ?? name}</dt>
              <dd className="mono">
                {secret.has(name) ? "••••••" : value === null ? "—" : String(value)}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </li>
  );
}
