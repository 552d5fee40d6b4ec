/** The page for an in-app URL that names nothing. */
import { Link, runsHref } from "../lib/router.tsx";
import { PageHeading } from "./page-heading.tsx";

export function NotFoundPage(props: { path: string }) {
  return (
    <div className="page">
      <PageHeading title="Page not found" />
      <p>
        Nothing lives at <code>{props.path}</code>. <Link href={runsHref({})}>Go to the runs</Link>.
      </p>
    </div>
  );
}
