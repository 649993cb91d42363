import type { LineError } from "../../domain/clinics/csv.ts";

/** Every problem of an uploaded file, by line, so the person can fix them all in one go. */
export function LineErrors({ errors, title }: { errors: LineError[]; title: string }) {
  return (
    <div className="form-error line-errors" role="alert">
      <strong>{title}</strong>
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col" className="num">
              Line
            </th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e, i) => (
            <tr key={`${e.line}-${i}`}>
              <td className="num">{e.line}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
