import { router } from '../trpc';
import { me } from './me';
import { signIn } from './sign-in';
import { signOut } from './sign-out';
import { signUp } from './sign-up';

export const authRouter = router({ signUp, signIn, signOut, me });
