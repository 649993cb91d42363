/**
 * Next Monday's email as the clinic will receive it, composed from today's synced data (the
 * preview route serves it under its own policy; the frame only shows it).
 */
export function PreviewCard({ clinicId }: { clinicId: string }) {
  const src = `/clinics/${clinicId}/briefing/preview`;
  return (
    <section className="card" aria-labelledby="preview-h">
      <div className="card-head">
        <h2 id="preview-h">Preview of next Monday's email</h2>
        <a href={src} target="_blank" rel="noopener noreferrer">
          Open in a new tab
        </a>
      </div>
      <p className="sub">Built from the data synced so far this week; the real one is built at 07:00 on Monday.</p>
      <iframe className="briefing-preview" title="Preview of next Monday's briefing email" src={src} loading="lazy" />
    </section>
  );
}
