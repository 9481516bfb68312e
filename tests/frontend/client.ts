// A small client as the frontend team would write it against the generated
// types: a list, a create, and a problem response. It only has to compile
// (tsc --strict): a change to the contract that breaks it fails CI.
import type { components, paths } from "./generated/rihla";

type ProjectPage =
  paths["/api/v1/projects"]["get"]["responses"]["200"]["content"]["application/json"];
type ProjectQuery = NonNullable<paths["/api/v1/projects"]["get"]["parameters"]["query"]>;
type ProjectInput = components["schemas"]["ProjectInput"];
type Project = components["schemas"]["Project"];
type Problem = components["schemas"]["Problem"];

export class RihlaError extends Error {
  constructor(public readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

async function call<T>(base: string, token: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(base + path, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) {
    const problem = (await res.json()) as Problem;
    // Every field a frontend shows: the message, each failing field, the id to quote.
    const fields: string[] = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
    console.error(problem.request_id, fields.join("; "));
    throw new RihlaError(problem);
  }
  return (await res.json()) as T;
}

export async function activeProjects(base: string, token: string): Promise<string[]> {
  const query: ProjectQuery = { status: "active", sort: "-start_date", limit: 20 };
  const params = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)]),
  );
  const page = await call<ProjectPage>(base, token, `/api/v1/projects?${params}`);
  const titles: string[] = page.items.map((p: Project) => `${p.code}: ${p.title}`);
  const next: string | null | undefined = page.next_cursor;
  return next ? [...titles, `(more after ${next})`] : titles;
}

export async function createProject(base: string, token: string): Promise<number> {
  const body: ProjectInput = {
    code: "LIBMITAF-2",
    title: "Libya Migration Management Technical Assistance Facility, phase 2",
    status: "planned",
  };
  const created = await call<Project>(base, token, "/api/v1/projects", {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "idempotency-key": "create-libmitaf-2" },
  });
  return created.version;
}
