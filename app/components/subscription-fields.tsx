import { EVENT_TYPES, type EventType } from "../../domain/vocabulary.ts";
import { Field, type FieldErrors } from "./forms.tsx";

/**
 * A webhook subscription's address, description and event types: the add form on /webhooks and
 * the edit form on /webhooks/:id, with each error under its field.
 */
export function SubscriptionFields({
  errors,
  url,
  description,
  eventTypes = EVENT_TYPES,
  urlHint,
}: {
  errors?: FieldErrors;
  url: string;
  description: string;
  eventTypes?: readonly EventType[];
  urlHint?: string;
}) {
  return (
    <>
      <Field name="url" label="Receiver URL" errors={errors} hint={urlHint}>
        {(p) => <input {...p} type="url" placeholder="https://hooks.example.com/relink" required defaultValue={url} />}
      </Field>
      <Field name="description" label="Description (optional)" errors={errors}>
        {(p) => <input {...p} type="text" placeholder="Ops channel" maxLength={200} defaultValue={description} />}
      </Field>
      <fieldset className="choice" aria-describedby={errors?.eventTypes ? "f-eventTypes-error" : undefined}>
        <legend>Events</legend>
        {EVENT_TYPES.map((type) => (
          <label className="checkbox" key={type}>
            <input type="checkbox" name="eventTypes" value={type} defaultChecked={eventTypes.includes(type)} />
            <span className="mono">{type}</span>
          </label>
        ))}
        {errors?.eventTypes?.[0] ? (
          <div className="field-error" id="f-eventTypes-error">
            {errors.eventTypes[0]}
          </div>
        ) : null}
      </fieldset>
    </>
  );
}
