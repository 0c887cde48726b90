// The console's shell: sign-in, the navigation the token's role allows, and a hash
// router (#/packages, #/install, #/try/<pkg>/<version>/<plugin>/<tool>, #/jobs,
// #/health, #/usage).
import { useEffect, useState } from "preact/hooks";
import { token } from "./api.ts";
import { ErrorBox } from "./common.tsx";
import { HealthScreen } from "./health.tsx";
import { InstallScreen } from "./install.tsx";
import { JobsScreen } from "./jobs.tsx";
import { PackagesScreen } from "./packages.tsx";
import { probeSession, type SignIn } from "./session.ts";
import { TryScreen } from "./try-tool.tsx";
import { UsageScreen } from "./usage.tsx";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function SignInForm({ message, onDone }: { message?: string; onDone(): void }) {
  const [value, setValue] = useState("");
  return (
    <form
      class="card signin"
      onSubmit={(e) => {
        e.preventDefault();
        token.set(value.trim());
        onDone();
      }}
    >
      <h2>Sign in</h2>
      <p class="muted">This server asks for a bearer token (see <code>npm run token</code>). It is kept in this tab's session storage only.</p>
      {message ? <p class="error-text">{message}</p> : null}
      <label class="field-label" for="token">Token</label>
      <div class="row">
        <input id="token" type="password" autocomplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit" data-action="sign-in" disabled={value.trim() === ""}>Sign in</button>
      </div>
    </form>
  );
}

export function App() {
  const [session, setSession] = useState<SignIn | null>(null);
  const [error, setError] = useState<unknown>(null);
  const hash = useHash();
  const probe = () => {
    setError(null);
    probeSession().then(setSession, setError);
  };
  useEffect(probe, []);

  const route = hash.replace(/^#\/?/, "").split("/").map((p) => decodeURIComponent(p));
  const screen = route[0] || "packages";
  const admin = session?.state === "signed-in" && session.role === "admin";
  const nav: [string, string][] = [["packages", "Packages"], ...(admin ? [["install", "Install"], ["jobs", "Jobs"]] as [string, string][] : []), ["health", "Health"], ["usage", "Usage"]];

  let body;
  if (error) body = <ErrorBox error={error} />;
  else if (session === null) body = <p class="muted">Connecting…</p>;
  else if (session.state === "needs-token") body = <SignInForm {...(session.message ? { message: session.message } : {})} onDone={probe} />;
  else if (screen === "try" && route.length >= 5) body = <TryScreen target={{ pkg: route[1]!, version: route[2]!, plugin: route[3]!, tool: route[4]! }} />;
  else if (screen === "install" && admin) body = <InstallScreen />;
  else if (screen === "jobs" && admin) body = <JobsScreen />;
  else if (screen === "health") body = <HealthScreen />;
  else if (screen === "usage") body = <UsageScreen />;
  else body = <PackagesScreen role={session.role} />;

  return (
    <>
      <header class="top">
        <h1>HiAgent plugin runtime</h1>
        {session?.state === "signed-in" ? (
          <>
            <nav>
              {nav.map(([id, label]) => <a key={id} href={`#/${id}`} class={screen === id ? "active" : ""} data-nav={id}>{label}</a>)}
              <a href="/docs">API docs</a>
            </nav>
            <span class="who" data-role={session.role}>
              {session.open ? "open server (loopback)" : `role ${session.role}`}
              {session.open ? null : (
                <button class="small" onClick={() => { token.clear(); probe(); }}>Sign out</button>
              )}
            </span>
          </>
        ) : null}
      </header>
      <main>{body}</main>
    </>
  );
}
