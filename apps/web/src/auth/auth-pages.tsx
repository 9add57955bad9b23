// Sign in and sign up. Both validate with the server's schemas and land on the API Tokens page; what
// only the server checks (a password among the most common) is shown at its field all the same.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { PASSWORD_MIN_LENGTH, ZEmail, ZPassword, ZUserName } from '@latchkey/lib/types';
import { Field, firstIssue } from '../components/field';
import { Link, navigate, paths } from '../router';
import { ErrorCallout } from '../components/error-callout';
import { fieldIssue, useTRPC } from '../trpc';

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Latchkey`;
  }, [title]);
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">⌘</span> Latchkey
        </p>
        <h1 id="page-heading" tabIndex={-1}>
          {title}
        </h1>
        {children}
        <p className="auth-footer">{footer}</p>
      </div>
    </main>
  );
}

function useSignedIn() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (user: { id: number; name: string; email: string }) => {
    // Anything else cached belongs to whoever was signed in before.
    const meKey = JSON.stringify(trpc.auth.me.queryKey());
    queryClient.removeQueries({ predicate: (query) => JSON.stringify(query.queryKey) !== meKey });
    queryClient.setQueryData(trpc.auth.me.queryKey(), { user });
    navigate(paths.personalTokens, { replace: true });
  };
}

export function SignInPage() {
  const trpc = useTRPC();
  const signedIn = useSignedIn();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess: ({ user }) => signedIn(user) }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    signIn.mutate({ email: email.trim(), password });
  }

  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          No account yet? <Link href={paths.signUp}>Create one</Link>
        </>
      }
    >
      <form onSubmit={submit}>
        <Field
          id="sign-in-email"
          label="E-mail"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoFocus
        />
        <Field
          id="sign-in-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorCallout error={signIn.error} />
        <button type="submit" className="button button-primary button-block" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthCard>
  );
}

export function SignUpPage() {
  const trpc = useTRPC();
  const signedIn = useSignedIn();
  const [values, setValues] = useState({ name: '', email: '', password: '' });
  const [errors, setErrors] = useState<{ name?: string | null; email?: string | null; password?: string | null }>({});
  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: ({ user }) => signedIn(user),
      onError: (error) => {
        if (fieldIssue(error, 'password')) document.getElementById('sign-up-password')?.focus();
      },
    }),
  );
  // The server's word on the password (one of the most common) goes under the field, not below the form.
  const serverPasswordIssue = fieldIssue(signUp.error, 'password');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const next = {
      name: firstIssue(ZUserName.safeParse(values.name)),
      email: firstIssue(ZEmail.safeParse(values.email)),
      password: firstIssue(ZPassword.safeParse(values.password)),
    };
    setErrors(next);
    const firstBad = (['name', 'email', 'password'] as const).find((key) => next[key]);
    if (firstBad) {
      document.getElementById(`sign-up-${firstBad}`)?.focus();
      return;
    }
    signUp.mutate(values);
  }

  const set = (key: keyof typeof values) => (event: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [key]: event.target.value }));
    // A refusal of the old password does not stand for the new one.
    if (key === 'password' && serverPasswordIssue) signUp.reset();
  };

  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account? <Link href={paths.signIn}>Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <Field
          id="sign-up-name"
          label="Name"
          autoComplete="name"
          value={values.name}
          onChange={set('name')}
          error={errors.name}
          autoFocus
        />
        <Field
          id="sign-up-email"
          label="E-mail"
          type="email"
          autoComplete="email"
          value={values.email}
          onChange={set('email')}
          error={errors.email}
        />
        <Field
          id="sign-up-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={values.password}
          onChange={set('password')}
          error={errors.password ?? serverPasswordIssue}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters, and not one of the 10,000 most common passwords.`}
        />
        <ErrorCallout error={serverPasswordIssue ? null : signUp.error} />
        <button type="submit" className="button button-primary button-block" disabled={signUp.isPending}>
          {signUp.isPending ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthCard>
  );
}
