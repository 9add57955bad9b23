import { router } from '../trpc';
import { changePassword } from './change-password';
import { me } from './me';
import { getSessions, signOutOthers } from './sessions';
import { signIn } from './sign-in';
import { signOut } from './sign-out';
import { signUp } from './sign-up';

export const authRouter = router({ signUp, signIn, signOut, me, changePassword, sessions: getSessions, signOutOthers });
